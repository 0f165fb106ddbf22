package io.pneuknow.annotate;

/**
 * A model's prediction of an image as the database keeps it ({@code predictions}, one per image and model).
 *
 * @param imageId     the image's id
 * @param label       the predicted class
 * @param probability the model's probability of that class, in [0, 1]
 */
public record StoredPrediction(String imageId, String label, double probability) {
    /** Refuses a missing image id or label and a probability outside [0, 1]. */
    public StoredPrediction {
        if (imageId == null || label == null) {
            throw new IllegalArgumentException("a prediction needs an image id and a label");
        }
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability " + probability + " of image " + imageId + " is outside [0, 1]");
        }
    }
}
