package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;

import java.util.Map;

/**
 * One scored image: its true class and the model's softmax probabilities (one per class, summing to 1).
 * {@code attributes} holds the subgroup columns (age, sex, site...); it may be empty. Images without a
 * patient id should use their image id as patient id (each image is then its own patient).
 *
 * @param imageId       image id, unique within one evaluation
 * @param patientId     patient id; bootstrap intervals resample patients
 * @param trueClass     index of the true class
 * @param probabilities softmax probabilities, one per class
 * @param attributes    subgroup column to value
 */
public record Prediction(String imageId, String patientId, int trueClass, double[] probabilities,
                         Map<String, String> attributes) {
    private static final double SUM_TOLERANCE = 1e-3;

    public Prediction {
        if (imageId == null || imageId.isBlank() || patientId == null || patientId.isBlank()) {
            throw new BadInputException("prediction for image '" + imageId + "' has no image or patient id; give both");
        }
        if (probabilities == null || probabilities.length == 0) {
            throw new BadInputException("prediction for image " + imageId + " has no probabilities");
        }
        double sum = 0;
        for (double p : probabilities) {
            if (!(p >= 0 && p <= 1)) {
                throw new BadInputException("prediction for image " + imageId + " has probability " + p
                        + " outside [0, 1]; pass softmax outputs");
            }
            sum += p;
        }
        if (Math.abs(sum - 1) > SUM_TOLERANCE) {
            throw new BadInputException("prediction for image " + imageId + " has probabilities summing to " + sum
                    + "; pass softmax outputs");
        }
        if (trueClass < 0 || trueClass >= probabilities.length) {
            throw new BadInputException("prediction for image " + imageId + " has true class " + trueClass
                    + " but " + probabilities.length + " probabilities");
        }
        probabilities = probabilities.clone();
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /** A prediction without subgroup attributes. */
    public Prediction(String imageId, String patientId, int trueClass, double... probabilities) {
        this(imageId, patientId, trueClass, probabilities, Map.of());
    }

    /** The class with the highest probability (the first one on ties). */
    public int predictedClass() {
        int best = 0;
        for (int k = 1; k < probabilities.length; k++) {
            if (probabilities[k] > probabilities[best]) {
                best = k;
            }
        }
        return best;
    }

    /** The highest probability (the confidence of the predicted class). */
    public double confidence() {
        return probabilities[predictedClass()];
    }
}
