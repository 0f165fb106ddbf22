package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Computes a {@link MetricSet} from predictions; undefined metrics become NaN with a note, never an exception. */
public final class Metrics {
    /** Number of equal-width bins of the top-class confidence for ECE and the reliability diagram. */
    public static final int CALIBRATION_BINS = 15;

    private Metrics() {
    }

    /** Scores {@code predictions}; {@code classNames} gives the class order of the probabilities. */
    public static MetricSet of(List<Prediction> predictions, List<String> classNames) {
        int k = classNames.size();
        for (Prediction p : predictions) {
            if (p.probabilities().length != k) {
                throw new BadInputException("prediction for image " + p.imageId() + " has " + p.probabilities().length
                        + " probabilities but there are " + k + " classes " + classNames);
            }
        }
        int n = predictions.size();
        Map<String, String> notes = new LinkedHashMap<>();
        if (n == 0) {
            notes.put("accuracy", "no images");
        }

        int[][] confusion = new int[k][k];
        double brierSum = 0;
        for (Prediction p : predictions) {
            confusion[p.trueClass()][p.predictedClass()]++;
            double[] probs = p.probabilities();
            for (int c = 0; c < k; c++) {
                double y = c == p.trueClass() ? 1 : 0;
                brierSum += (probs[c] - y) * (probs[c] - y);
            }
        }
        int correct = 0;
        int[] trueCount = new int[k];
        int[] predictedCount = new int[k];
        for (int t = 0; t < k; t++) {
            correct += confusion[t][t];
            for (int c = 0; c < k; c++) {
                trueCount[t] += confusion[t][c];
                predictedCount[c] += confusion[t][c];
            }
        }

        List<ClassMetrics> classes = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            classes.add(classMetrics(predictions, c, classNames.get(c), confusion, trueCount[c], predictedCount[c]));
        }

        double accuracy = (double) correct / n;
        double chance = 0;
        for (int c = 0; c < k; c++) {
            chance += (double) trueCount[c] * predictedCount[c] / ((double) n * n);
        }
        double kappa = (accuracy - chance) / (1 - chance);
        if (n > 0 && chance >= 1) {
            kappa = Double.NaN;
            notes.put("cohen_kappa", "chance agreement is 1 (truth and predictions are all one class)");
        }
        double balancedAccuracy = macro(classes, ClassMetrics::recall, "balanced_accuracy", "recall", notes);
        double macroF1 = macro(classes, ClassMetrics::f1, "macro_f1", "f1", notes);
        double macroAuc = macro(classes, ClassMetrics::auc, "macro_auc", "auc", notes);
        List<ReliabilityBin> bins = reliability(predictions);
        double ece = 0;
        for (ReliabilityBin bin : bins) {
            if (bin.count() > 0) {
                ece += (double) bin.count() / n * Math.abs(bin.accuracy() - bin.meanConfidence());
            }
        }
        if (n == 0) {
            ece = Double.NaN;
        }
        return new MetricSet(n, accuracy, balancedAccuracy, macroF1, kappa, macroAuc, brierSum / n, ece, classes,
                confusion, bins, notes);
    }

    /** One-vs-rest ROC AUC: the probability that a positive scores above a negative, ties counting 1/2; NaN without both. */
    public static double auc(double[] positiveScores, double[] negativeScores) {
        if (positiveScores.length == 0 || negativeScores.length == 0) {
            return Double.NaN;
        }
        double[] pos = positiveScores.clone();
        double[] neg = negativeScores.clone();
        Arrays.sort(pos);
        Arrays.sort(neg);
        int below = 0;
        int belowOrEqual = 0;
        double wins = 0;
        for (double score : pos) {
            while (below < neg.length && neg[below] < score) {
                below++;
            }
            while (belowOrEqual < neg.length && neg[belowOrEqual] <= score) {
                belowOrEqual++;
            }
            wins += below + 0.5 * (belowOrEqual - below);
        }
        return wins / ((double) pos.length * neg.length);
    }

    private static ClassMetrics classMetrics(List<Prediction> predictions, int c, String name, int[][] confusion,
                                             int positives, int predicted) {
        Map<String, String> notes = new LinkedHashMap<>();
        int n = predictions.size();
        int tp = confusion[c][c];
        int fp = predicted - tp;
        int fn = positives - tp;
        int negatives = n - positives;
        int tn = negatives - fp;

        double precision = (double) tp / predicted;
        if (predicted == 0) {
            notes.put("precision", "class " + name + " never predicted");
        }
        double recall = (double) tp / positives;
        if (positives == 0) {
            notes.put("recall", "no positive images of class " + name);
        }
        double specificity = (double) tn / negatives;
        if (negatives == 0) {
            notes.put("specificity", "no negative images (all are class " + name + ")");
        }
        double f1 = 2.0 * tp / (2 * tp + fp + fn);
        if (2 * tp + fp + fn == 0) {
            notes.put("f1", "class " + name + " neither present nor predicted");
        }
        double[] pos = new double[positives];
        double[] neg = new double[negatives];
        int ip = 0;
        int in = 0;
        for (Prediction p : predictions) {
            if (p.trueClass() == c) {
                pos[ip++] = p.probabilities()[c];
            } else {
                neg[in++] = p.probabilities()[c];
            }
        }
        double auc = auc(pos, neg);
        if (positives == 0) {
            notes.put("auc", "no positive images of class " + name);
        } else if (negatives == 0) {
            notes.put("auc", "no negative images (all are class " + name + ")");
        }
        return new ClassMetrics(name, positives, precision, recall, specificity, f1, auc, notes);
    }

    /** Mean of a per-class metric over the classes where it is defined; notes the skipped ones. */
    private static double macro(List<ClassMetrics> classes, ToDoubleFunction<ClassMetrics> metric,
                                String macroName, String metricName, Map<String, String> notes) {
        double sum = 0;
        int defined = 0;
        List<String> skipped = new ArrayList<>();
        for (ClassMetrics c : classes) {
            double value = metric.applyAsDouble(c);
            if (Double.isNaN(value)) {
                skipped.add(c.name() + " (" + c.notes().get(metricName) + ")");
            } else {
                sum += value;
                defined++;
            }
        }
        if (defined == 0) {
            notes.put(macroName, "no class has a defined " + metricName);
            return Double.NaN;
        }
        if (!skipped.isEmpty()) {
            notes.put(macroName, "mean over " + defined + " of " + classes.size() + " classes; skipped "
                    + String.join(", ", skipped));
        }
        return sum / defined;
    }

    private static List<ReliabilityBin> reliability(List<Prediction> predictions) {
        int[] count = new int[CALIBRATION_BINS];
        double[] confidenceSum = new double[CALIBRATION_BINS];
        int[] correct = new int[CALIBRATION_BINS];
        for (Prediction p : predictions) {
            int predicted = p.predictedClass();
            double confidence = p.probabilities()[predicted];
            int bin = Math.min((int) (confidence * CALIBRATION_BINS), CALIBRATION_BINS - 1);
            count[bin]++;
            confidenceSum[bin] += confidence;
            if (predicted == p.trueClass()) {
                correct[bin]++;
            }
        }
        List<ReliabilityBin> bins = new ArrayList<>();
        for (int b = 0; b < CALIBRATION_BINS; b++) {
            bins.add(new ReliabilityBin((double) b / CALIBRATION_BINS, (double) (b + 1) / CALIBRATION_BINS, count[b],
                    confidenceSum[b] / count[b], (double) correct[b] / count[b]));
        }
        return bins;
    }
}
