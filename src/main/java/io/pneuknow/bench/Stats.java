package io.pneuknow.bench;

import java.util.Arrays;
import java.util.List;

/** Small statistics for benchmark runs: median, percentiles, least-squares slope and its interval, the interval of a ratio. */
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

    /**
     * A least-squares slope against the index with its 95 % Student's t interval (t with n - 2 degrees of freedom,
     * standard error sqrt(SSR / (n - 2) / Sxx)); {@code low} and {@code high} NaN for fewer than 3 points.
     */
    record SlopeInterval(double slope, double low, double high, int n) {
        /** "1.23 MiB/epoch (95 % t interval -0.50 to 2.96, 20 epochs)". */
        String describe(String unit) {
            return n < 3 ? String.format(java.util.Locale.ROOT, "%.2f %s (%d points, no interval)", slope, unit, n)
                    : String.format(java.util.Locale.ROOT, "%.2f %s (95 %% t interval %.2f to %.2f, %d epochs)", slope,
                    unit, low, high, n);
        }
    }

    /** The {@link SlopeInterval} of {@code y} against its index 0, 1, 2, .... */
    static SlopeInterval slopeInterval(double[] y) {
        int n = y.length;
        double b = slope(y);
        if (n < 3) {
            return new SlopeInterval(b, Double.NaN, Double.NaN, n);
        }
        double mx = (n - 1) / 2.0;
        double my = Arrays.stream(y).average().orElse(0);
        double ssr = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            double r = y[i] - (my + b * (i - mx));
            ssr += r * r;
            sxx += (i - mx) * (i - mx);
        }
        double half = t975(n - 2) * Math.sqrt(ssr / (n - 2) / sxx);
        return new SlopeInterval(b, b - half, b + half, n);
    }

    /** Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom (for 95 % intervals). */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
        2.056, 2.052, 2.048, 2.045, 2.042};

    /** The 97.5 % quantile of Student's t with {@code df} degrees of freedom (a table to 30, then z + (z^3 + z) / 4df). */
    static double t975(int df) {
        if (df < 1) {
            return Double.NaN;
        }
        if (df <= T975.length) {
            return T975[df - 1];
        }
        double z = 1.959964;
        return z + (z * z * z + z) / (4.0 * df);
    }

    /**
     * A ratio over rounds with its 95 % interval: the geometric mean of the per-round ratios, and Student's t
     * interval of the mean of their logarithms, taken back by exp (ratios are multiplicative: 0.5 and 2 are
     * equally far from parity). {@code low} and {@code high} are NaN for fewer than 2 ratios.
     */
    record RatioInterval(double center, double low, double high, int n) {
        /** "0.916 (95 % t interval 0.80-1.05, 5 rounds)". */
        String describe() {
            return n < 2 ? String.format(java.util.Locale.ROOT, "%.3f (%d round, no interval)", center, n)
                    : String.format(java.util.Locale.ROOT, "%.3f (95 %% t interval %.3f-%.3f, %d rounds)", center, low,
                    high, n);
        }
    }

    /** {@link RatioInterval} of per-round ratios (each positive). */
    static RatioInterval ratioInterval(double[] ratios) {
        int n = ratios.length;
        if (n == 0) {
            return new RatioInterval(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        double[] logs = new double[n];
        for (int i = 0; i < n; i++) {
            if (!(ratios[i] > 0) || Double.isInfinite(ratios[i])) {
                throw new IllegalArgumentException("a ratio must be positive and finite: " + ratios[i]);
            }
            logs[i] = Math.log(ratios[i]);
        }
        double mean = Arrays.stream(logs).average().orElse(0);
        if (n < 2) {
            return new RatioInterval(Math.exp(mean), Double.NaN, Double.NaN, n);
        }
        double ss = 0;
        for (double l : logs) {
            ss += (l - mean) * (l - mean);
        }
        double half = t975(n - 1) * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
        return new RatioInterval(Math.exp(mean), Math.exp(mean - half), Math.exp(mean + half), n);
    }
}
