package io.pneuknow.evaluate;

import java.util.ArrayList;
import java.util.List;

/**
 * The metrics of a {@link MetricSet} with patient-level 95% bootstrap intervals, one row per metric (and
 * class). Computed in one loop: each replicate scores a full {@link MetricSet}.
 *
 * @param metrics the point estimates on all predictions
 * @param rows    overall metrics first (class ""), then per-class metrics in class order
 */
public record MetricIntervals(MetricSet metrics, List<Row> rows) {
    /** Overall metrics, in row order. */
    public static final List<String> OVERALL = List.of(
            "accuracy", "balanced_accuracy", "macro_f1", "cohen_kappa", "macro_auc", "brier", "ece");
    /** Per-class metrics, in row order. */
    public static final List<String> PER_CLASS = List.of("precision", "recall", "specificity", "f1", "auc");

    /**
     * One metric with its interval.
     *
     * @param metric    metric name, from {@link #OVERALL} or {@link #PER_CLASS}
     * @param className class name for a per-class metric, "" for an overall one
     * @param interval  estimate and interval
     * @param note      why the estimate is NaN or partial, "" when nothing to say
     */
    public record Row(String metric, String className, Interval interval, String note) {
    }

    public MetricIntervals {
        rows = List.copyOf(rows);
    }

    /**
     * Scores {@code predictions} and bootstraps every metric over patients; {@code replicates} = 0 gives
     * the point estimates with NaN bounds.
     */
    public static MetricIntervals of(List<Prediction> predictions, List<String> classNames, int replicates, long seed) {
        MetricSet full = Metrics.of(predictions, classNames);
        List<Interval> intervals = Bootstrap.patientLevelAll(predictions, replicates, seed,
                sample -> values(Metrics.of(sample, classNames)));
        List<Row> rows = new ArrayList<>();
        int i = 0;
        for (String metric : OVERALL) {
            rows.add(new Row(metric, "", intervals.get(i++), full.notes().getOrDefault(metric, "")));
        }
        for (ClassMetrics c : full.classes()) {
            for (String metric : PER_CLASS) {
                rows.add(new Row(metric, c.name(), intervals.get(i++), c.notes().getOrDefault(metric, "")));
            }
        }
        return new MetricIntervals(full, rows);
    }

    /** The interval of an overall metric. */
    public Interval get(String metric) {
        return get(metric, "");
    }

    /** The interval of a per-class metric. */
    public Interval get(String metric, String className) {
        return rows.stream().filter(r -> r.metric().equals(metric) && r.className().equals(className)).findFirst()
                .map(Row::interval)
                .orElseThrow(() -> new IllegalArgumentException("no metric " + metric + " for class '" + className + "'"));
    }

    /** The metric values in row order. */
    private static double[] values(MetricSet m) {
        double[] v = new double[OVERALL.size() + PER_CLASS.size() * m.classes().size()];
        int i = 0;
        v[i++] = m.accuracy();
        v[i++] = m.balancedAccuracy();
        v[i++] = m.macroF1();
        v[i++] = m.cohenKappa();
        v[i++] = m.macroAuc();
        v[i++] = m.brier();
        v[i++] = m.ece();
        for (ClassMetrics c : m.classes()) {
            v[i++] = c.precision();
            v[i++] = c.recall();
            v[i++] = c.specificity();
            v[i++] = c.f1();
            v[i++] = c.auc();
        }
        return v;
    }
}
