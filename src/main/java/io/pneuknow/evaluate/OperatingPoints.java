package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Thresholds on one class's probability, chosen on validation and applied to test. An image is called
 * positive for the class when p(class) > threshold (strictly). To get intervals on test, bootstrap:
 * {@code Bootstrap.patientLevel(test, 1000, seed, p -> OperatingPoints.sensitivityAt(p, k, t).sensitivity())}.
 */
public final class OperatingPoints {
    private OperatingPoints() {
    }

    /**
     * A threshold and what it achieves.
     *
     * @param threshold   positive when p(class) > threshold
     * @param sensitivity fraction of the class's images called positive (NaN without any)
     * @param specificity fraction of the other images called negative (NaN without any)
     */
    public record OperatingPoint(double threshold, double sensitivity, double specificity) {
    }

    /**
     * The smallest threshold whose specificity on {@code validation} is at least {@code targetSpecificity}
     * (so the most sensitive one meeting it).
     */
    public static double thresholdForSpecificity(List<Prediction> validation, int classIndex, double targetSpecificity) {
        if (!(targetSpecificity > 0 && targetSpecificity <= 1)) {
            throw new BadInputException("target specificity " + targetSpecificity + " must be in (0, 1]");
        }
        double[] negatives = scores(validation, classIndex, false);
        if (negatives.length == 0) {
            throw new BadInputException("validation has no images outside class " + classIndex
                    + "; cannot choose a threshold for specificity");
        }
        Arrays.sort(negatives);
        // specificity(t) = #(negative scores <= t) / n: the m-th smallest negative score is the smallest t with m below or at it
        int needed = (int) Math.ceil(targetSpecificity * negatives.length - 1e-9);
        return negatives[Math.max(needed, 1) - 1];
    }

    /**
     * Why a threshold from {@link #thresholdForSpecificity} is degenerate, or null when it is not: below
     * 0.001, at least the target share of the class's negatives score (almost) 0 on validation, so the
     * target is met at almost any threshold and the lowest such one calls nearly every image positive;
     * above 0.999, confident mistakes on validation leave only a threshold near 1, which calls almost
     * nothing positive.
     */
    public static String thresholdNote(double threshold, double targetSpecificity) {
        if (threshold < 0.001) {
            return String.format(Locale.ROOT, "degenerate: on validation at least %.0f%% of the images outside the "
                    + "class score below 0.001, so the specificity target is met at almost any threshold; this, the "
                    + "lowest, calls nearly every image with a nonzero score positive", 100 * targetSpecificity);
        }
        if (threshold > 0.999) {
            return String.format(Locale.ROOT, "degenerate: on validation more than %.0f%% of the images outside the "
                    + "class score above 0.999 (confident mistakes), so only a threshold near 1 meets the "
                    + "specificity target, and it calls almost nothing positive", 100 * (1 - targetSpecificity));
        }
        return null;
    }

    /** Sensitivity and specificity of {@code threshold} for the class on {@code predictions}. */
    public static OperatingPoint sensitivityAt(List<Prediction> predictions, int classIndex, double threshold) {
        double[] positives = scores(predictions, classIndex, true);
        double[] negatives = scores(predictions, classIndex, false);
        long truePositives = Arrays.stream(positives).filter(s -> s > threshold).count();
        long trueNegatives = Arrays.stream(negatives).filter(s -> s <= threshold).count();
        return new OperatingPoint(threshold, (double) truePositives / positives.length,
                (double) trueNegatives / negatives.length);
    }

    /** The threshold maximising Youden's J = sensitivity + specificity - 1 on {@code validation} (the smallest on ties). */
    public static double youdenThreshold(List<Prediction> validation, int classIndex) {
        double[] positives = scores(validation, classIndex, true);
        double[] negatives = scores(validation, classIndex, false);
        if (positives.length == 0 || negatives.length == 0) {
            throw new BadInputException("validation needs images inside and outside class " + classIndex
                    + " to choose a Youden threshold");
        }
        Arrays.sort(positives);
        Arrays.sort(negatives);
        double[] candidates = new double[positives.length + negatives.length];
        System.arraycopy(positives, 0, candidates, 0, positives.length);
        System.arraycopy(negatives, 0, candidates, positives.length, negatives.length);
        Arrays.sort(candidates);
        double best = candidates[candidates.length - 1];
        double bestJ = Double.NEGATIVE_INFINITY;
        int positivesAtOrBelow = 0;
        int negativesAtOrBelow = 0;
        for (double t : candidates) {
            while (positivesAtOrBelow < positives.length && positives[positivesAtOrBelow] <= t) {
                positivesAtOrBelow++;
            }
            while (negativesAtOrBelow < negatives.length && negatives[negativesAtOrBelow] <= t) {
                negativesAtOrBelow++;
            }
            double j = (double) (positives.length - positivesAtOrBelow) / positives.length
                    + (double) negativesAtOrBelow / negatives.length - 1;
            if (j > bestJ) {
                bestJ = j;
                best = t;
            }
        }
        return best;
    }

    /** {@link #youdenThreshold} for every class. */
    public static double[] youdenThresholds(List<Prediction> validation, int classes) {
        double[] thresholds = new double[classes];
        for (int c = 0; c < classes; c++) {
            thresholds[c] = youdenThreshold(validation, c);
        }
        return thresholds;
    }

    private static double[] scores(List<Prediction> predictions, int classIndex, boolean positives) {
        double[] scores = new double[predictions.size()];
        int n = 0;
        for (Prediction p : predictions) {
            if (classIndex < 0 || classIndex >= p.probabilities().length) {
                throw new BadInputException("class index " + classIndex + " is not in 0.." + (p.probabilities().length - 1));
            }
            if ((p.trueClass() == classIndex) == positives) {
                scores[n++] = p.probabilities()[classIndex];
            }
        }
        return Arrays.copyOf(scores, n);
    }
}
