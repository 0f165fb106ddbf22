package io.pneuknow.report;

/** Maps a data interval [d0, d1] linearly onto a pixel interval [r0, r1] (r1 < r0 for a y axis pointing up). */
public record LinearScale(double d0, double d1, double r0, double r1) {
    public LinearScale {
        if (!(d1 > d0)) {
            throw new IllegalArgumentException("empty data interval [" + d0 + ", " + d1 + "]");
        }
    }

    /** The pixel position of a data value. */
    public double map(double v) {
        return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
    }

    /**
     * A data interval around the values (NaN and infinities ignored) with {@code pad} of its width
     * added on both sides; a single value v becomes [v - 0.5, v + 0.5] (or [v - |v|/10, ...] when
     * larger); no values give [0, 1].
     */
    public static double[] extent(double pad, double... values) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (Double.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (lo > hi) {
            return new double[] {0, 1};
        }
        if (hi == lo) {
            double half = Math.max(0.5, Math.abs(lo) / 10);
            return new double[] {lo - half, hi + half};
        }
        double w = hi - lo;
        return new double[] {lo - pad * w, hi + pad * w};
    }
}
