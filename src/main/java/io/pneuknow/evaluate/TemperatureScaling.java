package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 dividing the logits, fitted to minimise the
 * mean negative log-likelihood. Fit it on the validation set only, never on the test set: that is the
 * caller's responsibility. It does not change the predicted class, only the confidence.
 * {@link #calibrate} refuses a fit that cannot be trusted (a degenerate validation set, or an optimum
 * at a bound of the search) and then keeps T = 1, saying why.
 */
public final class TemperatureScaling {
    /** log T is searched in [-LOG_RANGE, LOG_RANGE], i.e. T in [0.05, 20.1]. */
    public static final double LOG_RANGE = 3;
    private static final double TOLERANCE = 1e-6;
    private static final double GOLDEN = (Math.sqrt(5) - 1) / 2;
    /** Fewer validation images than this give no temperature worth applying. */
    public static final int MIN_IMAGES = 30;

    /**
     * The temperature to apply and how it came about.
     *
     * @param temperature       the temperature to divide the logits by: the fitted one, or 1 (uncalibrated) when refused
     * @param fittedTemperature the optimum of the search; NaN when the validation set was refused before fitting
     * @param validationImages  images the fit saw
     * @param notApplied        why the fitted temperature was not applied; null when it was
     */
    public record Calibration(double temperature, double fittedTemperature, int validationImages, String notApplied) {
        public boolean applied() {
            return notApplied == null;
        }
    }

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

    /**
     * {@link #fit}, refused (temperature 1, with the reason) where its result cannot be trusted: fewer
     * than {@link #MIN_IMAGES} images; all of one class; every image classified correctly (the
     * likelihood then keeps rising as T falls towards 0, so the fit only finds the search's lower
     * bound and would make every later mistake near-certain); or an optimum at either bound of the
     * search.
     */
    public static Calibration calibrate(double[][] logits, int[] labels) {
        int n = logits.length;
        if (n < MIN_IMAGES) {
            return refused(Double.NaN, n, "only " + n + " validation images, fewer than the " + MIN_IMAGES
                    + " a temperature fit needs");
        }
        if (Arrays.stream(labels).distinct().count() == 1) {
            return refused(Double.NaN, n, "all " + n + " validation images are of class " + labels[0]
                    + ": a temperature fitted to one class says nothing about the others");
        }
        boolean allCorrect = true;
        for (int i = 0; i < n && allCorrect; i++) {
            for (int k = 0; k < logits[i].length; k++) {
                allCorrect &= k == labels[i] || logits[i][k] < logits[i][labels[i]];
            }
        }
        double fitted = fit(logits, labels);
        if (allCorrect) {
            return refused(fitted, n, "all " + n + " validation images are classified correctly, so the likelihood"
                    + " keeps rising as the temperature falls and no finite temperature fits (the search stopped at "
                    + String.format(Locale.ROOT, "%.3f", fitted) + ")");
        }
        double lowest = Math.exp(-LOG_RANGE);
        double highest = Math.exp(LOG_RANGE);
        if (fitted < lowest * 1.001 || fitted > highest / 1.001) {
            return refused(fitted, n, String.format(Locale.ROOT, "the fit ended at the %s bound of its search (%.2f),"
                    + " so the best temperature lies outside %.2f-%.2f", fitted < 1 ? "lower" : "upper",
                    fitted < 1 ? lowest : highest, lowest, highest));
        }
        return new Calibration(fitted, fitted, n, null);
    }

    private static Calibration refused(double fitted, int images, String reason) {
        return new Calibration(1, fitted, images, reason);
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
