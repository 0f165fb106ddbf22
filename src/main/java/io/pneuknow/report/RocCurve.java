package io.pneuknow.report;

import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one-vs-rest ROC curve of one class: the points (false-positive rate, true-positive rate) for
 * every threshold at a distinct score, from (0, 0) to (1, 1). Images with equal scores enter together,
 * as one diagonal step, so the area under the points (trapezoids) equals {@link Metrics#auc} with ties
 * counting 1/2. Without positives or without negatives the curve is empty and the AUC NaN.
 */
public record RocCurve(String className, int positives, int negatives, double[] fpr, double[] tpr, double auc) {

    /** The curve from the scores of the positive and the negative images. */
    public static RocCurve of(String className, double[] positiveScores, double[] negativeScores) {
        int p = positiveScores.length;
        int n = negativeScores.length;
        double auc = Metrics.auc(positiveScores, negativeScores);
        if (p == 0 || n == 0) {
            return new RocCurve(className, p, n, new double[0], new double[0], auc);
        }
        double[] pos = positiveScores.clone();
        double[] neg = negativeScores.clone();
        Arrays.sort(pos);
        Arrays.sort(neg);
        // walk thresholds from the highest score down; at each distinct score take every image >= it
        List<double[]> points = new ArrayList<>();
        points.add(new double[] {0, 0});
        int ip = p - 1;
        int in = n - 1;
        while (ip >= 0 || in >= 0) {
            double t = Math.max(ip >= 0 ? pos[ip] : Double.NEGATIVE_INFINITY, in >= 0 ? neg[in] : Double.NEGATIVE_INFINITY);
            while (ip >= 0 && pos[ip] >= t) {
                ip--;
            }
            while (in >= 0 && neg[in] >= t) {
                in--;
            }
            points.add(new double[] {(double) (n - 1 - in) / n, (double) (p - 1 - ip) / p});
        }
        double[] fpr = new double[points.size()];
        double[] tpr = new double[points.size()];
        for (int i = 0; i < points.size(); i++) {
            fpr[i] = points.get(i)[0];
            tpr[i] = points.get(i)[1];
        }
        return new RocCurve(className, p, n, fpr, tpr, auc);
    }

    /** One curve per class: class c's probability as the score, images of class c as positives. */
    public static List<RocCurve> oneVsRest(List<Prediction> predictions, List<String> classes) {
        List<RocCurve> out = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            int cls = c;
            double[] pos = predictions.stream().filter(x -> x.trueClass() == cls).mapToDouble(x -> x.probabilities()[cls]).toArray();
            double[] neg = predictions.stream().filter(x -> x.trueClass() != cls).mapToDouble(x -> x.probabilities()[cls]).toArray();
            out.add(of(classes.get(c), pos, neg));
        }
        return out;
    }

    /** Area under the points by trapezoids (equals {@link #auc} up to rounding). */
    public double trapezoidArea() {
        double area = 0;
        for (int i = 1; i < fpr.length; i++) {
            area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        }
        return fpr.length == 0 ? Double.NaN : area;
    }

    /** The legend entry: class, AUC and counts, or why there is no curve. */
    public String legend() {
        if (positives == 0) {
            return className + ": no positive images";
        }
        if (negatives == 0) {
            return className + ": no negative images";
        }
        return String.format(java.util.Locale.ROOT, "%s: AUC %.3f (%d vs %d)", className, auc, positives, negatives);
    }

    /** ROC curves of several classes in one chart, with the chance diagonal. */
    public static String chart(String title, List<RocCurve> curves) {
        LineChart chart = new LineChart(title, "false-positive rate (1 - specificity)", "true-positive rate (sensitivity)")
                .cssClass("roc").xRange(0, 1).yRange(0, 1).size(260, 260).markers(false).diagonal("chance");
        for (RocCurve c : curves) {
            chart.series(c.legend(), c.fpr(), c.tpr());
        }
        return chart.svg();
    }
}
