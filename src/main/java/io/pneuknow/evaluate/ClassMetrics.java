package io.pneuknow.evaluate;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One-vs-rest metrics of one class. A metric that is undefined on the data is NaN and {@code notes}
 * says why (metric name to reason, e.g. "recall" to "no positive images of class X").
 *
 * @param name        class name
 * @param support     number of images whose true class is this class
 * @param precision   TP / (TP + FP)
 * @param recall      TP / (TP + FN), the sensitivity
 * @param specificity TN / (TN + FP)
 * @param f1          2TP / (2TP + FP + FN): 0 for a class present but never predicted
 * @param auc         one-vs-rest ROC AUC of p(class): Mann-Whitney statistic, ties count 1/2
 * @param notes       metric name to the reason it is NaN
 */
public record ClassMetrics(String name, int support, double precision, double recall, double specificity,
                           double f1, double auc, Map<String, String> notes) {
    public ClassMetrics {
        notes = Collections.unmodifiableMap(new TreeMap<>(notes));
    }
}
