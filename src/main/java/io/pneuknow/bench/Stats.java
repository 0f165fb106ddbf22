package io.pneuknow.bench;

import java.util.Arrays;
import java.util.List;

/** Small statistics for benchmark runs: median, percentiles, least-squares slope. */
final class Stats {
    private Stats() {
    }

    static double median(double[] values) {
        return percentile(values, 50);
    }

    static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The p-th percentile (0..100) with linear interpolation between order statistics; NaN when empty. */
    static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double rank = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Least-squares slope of {@code y} against its index 0, 1, 2, ...; 0 for fewer than two points. */
    static double slope(double[] y) {
        int n = y.length;
        if (n < 2) {
            return 0;
        }
        double mx = (n - 1) / 2.0;
        double my = Arrays.stream(y).average().orElse(0);
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (i - mx) * (y[i] - my);
            sxx += (i - mx) * (i - mx);
        }
        return sxy / sxx;
    }
}
