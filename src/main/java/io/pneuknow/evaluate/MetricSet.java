package io.pneuknow.evaluate;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every metric of one set of predictions. An undefined metric is NaN and never an exception; {@code notes}
 * (metric name to reason) says why, and says which classes a macro average skipped.
 *
 * @param images           number of predictions scored
 * @param accuracy         fraction predicted correctly
 * @param balancedAccuracy mean recall over the classes present in the truth
 * @param macroF1          mean F1 over classes where it is defined
 * @param cohenKappa       (po - pe) / (1 - pe) from the confusion matrix
 * @param macroAuc         mean one-vs-rest AUC over classes where it is defined
 * @param brier            mean over images of sum_k (p_k - y_k)^2 (0 best, 2 worst)
 * @param ece              expected calibration error: 15 equal-width confidence bins weighted by count
 * @param classes          per-class metrics, in class order
 * @param confusion        counts, rows = true class, columns = predicted class
 * @param reliability      the 15 bins behind {@code ece}, empty ones included
 * @param notes            metric name to the reason it is NaN or partial
 */
public record MetricSet(int images, double accuracy, double balancedAccuracy, double macroF1, double cohenKappa,
                        double macroAuc, double brier, double ece, List<ClassMetrics> classes, int[][] confusion,
                        List<ReliabilityBin> reliability, Map<String, String> notes) {
    public MetricSet {
        classes = List.copyOf(classes);
        reliability = List.copyOf(reliability);
        notes = Collections.unmodifiableMap(new TreeMap<>(notes));
    }

    /** The metrics of the named class. */
    public ClassMetrics forClass(String name) {
        return classes.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no class " + name + " in " + classes));
    }
}
