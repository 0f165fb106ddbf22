package io.pneuknow.evaluate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/** Metrics per subgroup of an attribute column (sex, site, age band...). */
public final class Subgroups {
    /** The group of predictions whose attribute is absent or blank. */
    public static final String MISSING = "(missing)";
    /** The bands of {@link #ageBand}, in order. */
    public static final List<String> AGE_BANDS = List.of("<40", "40-59", "60-79", ">=80");

    /** Values in string order, except age bands in age order and {@link #MISSING} last. */
    private static final Comparator<String> ORDER = Comparator.comparingInt(Subgroups::rank)
            .thenComparing(Comparator.naturalOrder());

    private Subgroups() {
    }

    /** A {@link MetricSet} per value of {@code column}, ordered by value, absent or blank values as "(missing)". */
    public static Map<String, MetricSet> by(List<Prediction> predictions, String column, List<String> classNames) {
        return by(predictions, column, classNames, UnaryOperator.identity());
    }

    /**
     * As {@link #by(List, String, List)}, grouping by {@code band} of the value (e.g. {@code Subgroups::ageBand});
     * {@code band} receives null for an absent value.
     */
    public static Map<String, MetricSet> by(List<Prediction> predictions, String column, List<String> classNames,
                                            UnaryOperator<String> band) {
        Map<String, List<Prediction>> groups = split(predictions, column, band);
        Map<String, MetricSet> metrics = new LinkedHashMap<>();
        groups.forEach((value, group) -> metrics.put(value, Metrics.of(group, classNames)));
        return metrics;
    }

    /** The predictions of each value (or band) of {@code column}, in the order of {@link #by}. */
    public static Map<String, List<Prediction>> split(List<Prediction> predictions, String column,
                                                      UnaryOperator<String> band) {
        Map<String, List<Prediction>> groups = new TreeMap<>(ORDER);
        for (Prediction p : predictions) {
            String value = band.apply(p.attributes().get(column));
            String key = value == null || value.isBlank() ? MISSING : value.strip();
            groups.computeIfAbsent(key, v -> new ArrayList<>()).add(p);
        }
        return new LinkedHashMap<>(groups);
    }

    /** "<40", "40-59", "60-79", ">=80" for an age in years ("63", "63.5" or DICOM-style "063Y"); else "(missing)". */
    public static String ageBand(String age) {
        if (age == null) {
            return MISSING;
        }
        String text = age.strip();
        if (text.endsWith("Y") || text.endsWith("y")) {
            text = text.substring(0, text.length() - 1);
        }
        double years;
        try {
            years = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return MISSING;
        }
        if (!(years >= 0 && years < 150)) {
            return MISSING;
        }
        return years < 40 ? "<40" : years < 60 ? "40-59" : years < 80 ? "60-79" : ">=80";
    }

    private static int rank(String value) {
        return value.equals(MISSING) ? Integer.MAX_VALUE : AGE_BANDS.indexOf(value);
    }
}
