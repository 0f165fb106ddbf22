package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;
import java.util.List;

/**
 * Moves a model's probabilities from the class prior it learned to another one by Bayes' rule
 * (Saerens, Latinne and Decaestecker 2002): p'(c|x) is proportional to p(c|x) target(c) / learned(c).
 * A model trained with class-balanced sampling or class weights learned a uniform prior; shifted to
 * the training part's class frequencies, it predicts as it should where the classes occur as often
 * as in training, which trades the small classes' recall for accuracy.
 */
public final class PriorShift {
    private PriorShift() {
    }

    /** Class frequencies from counts; every class gets its share of the total. */
    public static double[] frequencies(int[] counts) {
        long total = 0;
        for (int c : counts) {
            if (c < 0) {
                throw new BadInputException("class count " + c + " is negative; counts must be 0 or more");
            }
            total += c;
        }
        if (total == 0) {
            throw new BadInputException("no class has any image; a prior needs at least one counted image");
        }
        double[] out = new double[counts.length];
        for (int k = 0; k < counts.length; k++) {
            out[k] = (double) counts[k] / total;
        }
        return out;
    }

    /** The uniform prior over {@code k} classes. */
    public static double[] uniform(int k) {
        double[] out = new double[k];
        java.util.Arrays.fill(out, 1.0 / k);
        return out;
    }

    /**
     * The predictions of a model that learned a uniform class prior (class-balanced sampling or class
     * weights) moved to the class frequencies of {@code trainingCounts} (images per class in its
     * training part), in the same order; each one as {@link #shift} moves it.
     */
    public static List<Prediction> fromUniformToCounts(List<Prediction> predictions, int[] trainingCounts) {
        double[] target = frequencies(trainingCounts);
        double[] learned = uniform(trainingCounts.length);
        return predictions.stream().map(p -> shift(p, learned, target)).toList();
    }

    /**
     * The prediction with its probabilities moved from {@code learned} to {@code target} (both one
     * value per class; a class the learned prior gives 0 is left out). Its image, patient, true class
     * and attributes stay.
     */
    public static Prediction shift(Prediction p, double[] learned, double[] target) {
        double[] probabilities = p.probabilities();
        if (learned.length != probabilities.length || target.length != probabilities.length) {
            throw new BadInputException("prior shift of image " + p.imageId() + ": " + probabilities.length
                    + " probabilities but priors of " + learned.length + " and " + target.length
                    + " classes; give one prior value per class");
        }
        double[] shifted = new double[probabilities.length];
        double sum = 0;
        for (int k = 0; k < probabilities.length; k++) {
            shifted[k] = learned[k] > 0 ? probabilities[k] * target[k] / learned[k] : 0;
            sum += shifted[k];
        }
        if (!(sum > 0)) {
            throw new BadInputException("prior shift of image " + p.imageId()
                    + ": the target prior gives every class the model considers possible zero weight");
        }
        for (int k = 0; k < shifted.length; k++) {
            shifted[k] /= sum;
        }
        return new Prediction(p.imageId(), p.patientId(), p.trueClass(), shifted, p.attributes());
    }
}
