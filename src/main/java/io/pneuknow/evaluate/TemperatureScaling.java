package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;

/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 dividing the logits, fitted to minimise the
 * mean negative log-likelihood. Fit it on the validation set only, never on the test set: that is the
 * caller's responsibility. It does not change the predicted class, only the confidence.
 */
public final class TemperatureScaling {
    /** log T is searched in [-LOG_RANGE, LOG_RANGE], i.e. T in [0.05, 20.1]. */
    public static final double LOG_RANGE = 3;
    private static final double TOLERANCE = 1e-6;
    private static final double GOLDEN = (Math.sqrt(5) - 1) / 2;

    private TemperatureScaling() {
    }

    /**
     * The temperature minimising the mean NLL of softmax(logits / T), by golden-section search on log T in
     * [-3, 3] (the NLL is convex in 1/T, so unimodal in log T); the result is clamped to that range.
     */
    public static double fit(double[][] logits, int[] labels) {
        if (logits.length == 0 || logits.length != labels.length) {
            throw new BadInputException(logits.length + " logit rows and " + labels.length
                    + " labels: temperature scaling needs one label per row and at least one row");
        }
        for (int i = 0; i < logits.length; i++) {
            if (labels[i] < 0 || labels[i] >= logits[i].length) {
                throw new BadInputException("label " + labels[i] + " of row " + i + " is not a class index 0.."
                        + (logits[i].length - 1));
            }
            for (double z : logits[i]) {
                if (!Double.isFinite(z)) {
                    throw new BadInputException("row " + i + " has a non-finite logit " + z);
                }
            }
        }
        double a = -LOG_RANGE;
        double b = LOG_RANGE;
        double c = b - GOLDEN * (b - a);
        double d = a + GOLDEN * (b - a);
        double fc = meanNll(logits, labels, Math.exp(c));
        double fd = meanNll(logits, labels, Math.exp(d));
        while (b - a > TOLERANCE) {
            if (fc <= fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - GOLDEN * (b - a);
                fc = meanNll(logits, labels, Math.exp(c));
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + GOLDEN * (b - a);
                fd = meanNll(logits, labels, Math.exp(d));
            }
        }
        return Math.exp((a + b) / 2);
    }

    /** softmax(logits / T) per row. */
    public static double[][] apply(double[][] logits, double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new BadInputException("temperature " + temperature + " must be positive and finite");
        }
        double[][] probabilities = new double[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            double[] z = logits[i];
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) {
                max = Math.max(max, v / temperature);
            }
            double[] p = new double[z.length];
            double sum = 0;
            for (int k = 0; k < z.length; k++) {
                p[k] = Math.exp(z[k] / temperature - max);
                sum += p[k];
            }
            for (int k = 0; k < z.length; k++) {
                p[k] /= sum;
            }
            probabilities[i] = p;
        }
        return probabilities;
    }

    /** Mean negative log-likelihood of the labels under softmax(logits / T), computed stably. */
    public static double meanNll(double[][] logits, int[] labels, double temperature) {
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            double[] z = logits[i];
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) {
                max = Math.max(max, v / temperature);
            }
            double sum = 0;
            for (double v : z) {
                sum += Math.exp(v / temperature - max);
            }
            total += max + Math.log(sum) - z[labels[i]] / temperature;
        }
        return total / logits.length;
    }
}
