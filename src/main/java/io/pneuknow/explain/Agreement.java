package io.pneuknow.explain;

import io.pneuknow.image.GreyImage;
import java.util.Arrays;
import java.util.Optional;

/**
 * Agreement of a heat map (values >= 0, any scale) with a binary region mask of the same size (a
 * {@link GreyImage}, inside where the value is >= 0.5). Undefined values are NaN; {@link #undefined}
 * says why.
 */
public final class Agreement {
    /** The default threshold of {@link #iou}: half the heat's maximum. */
    public static final double DEFAULT_IOU_FRACTION = 0.5;

    private Agreement() {
    }

    /** Every score, IoU at {@link #DEFAULT_IOU_FRACTION}. */
    public static AgreementScores scores(GreyImage heat, GreyImage mask) {
        return scores(heat, mask, DEFAULT_IOU_FRACTION);
    }

    /** Every score, IoU at {@code iouFraction} of the heat's maximum. */
    public static AgreementScores scores(GreyImage heat, GreyImage mask, double iouFraction) {
        return new AgreementScores(energyPointingGame(heat, mask), hit(heat, mask), iou(heat, mask, iouFraction),
                auprc(heat, mask));
    }

    /**
     * Why some scores are NaN for this pair, or empty when all are defined: an empty region (energy,
     * AUPRC, and IoU unless the thresholded heat is non-empty), all-zero heat (energy).
     */
    public static Optional<String> undefined(GreyImage heat, GreyImage mask) {
        check(heat, mask);
        boolean emptyMask = count(mask) == 0;
        boolean zeroHeat = sum(heat.pixels()) == 0;
        if (emptyMask && zeroHeat) {
            return Optional.of("the region is empty and the heat map is all zero");
        }
        if (emptyMask) {
            return Optional.of("the region is empty: energy and AUPRC are undefined");
        }
        if (zeroHeat) {
            return Optional.of("the heat map is all zero: energy is undefined");
        }
        return Optional.empty();
    }

    /** sum(heat inside) / sum(heat); NaN when the heat is all zero or the region empty. */
    public static double energyPointingGame(GreyImage heat, GreyImage mask) {
        check(heat, mask);
        float[] h = heat.pixels();
        float[] m = mask.pixels();
        double inside = 0;
        double total = 0;
        boolean anyInside = false;
        for (int i = 0; i < h.length; i++) {
            total += h[i];
            if (m[i] >= 0.5f) {
                inside += h[i];
                anyInside = true;
            }
        }
        if (!anyInside || total == 0) {
            return Double.NaN;
        }
        return inside / total;
    }

    /** Whether the first maximum of the heat in row-major order lies inside the region. */
    public static boolean hit(GreyImage heat, GreyImage mask) {
        check(heat, mask);
        float[] h = heat.pixels();
        int best = 0;
        for (int i = 1; i < h.length; i++) {
            if (h[i] > h[best]) {
                best = i;
            }
        }
        return mask.pixels()[best] >= 0.5f;
    }

    /**
     * IoU of the region and the pixels whose heat is positive and >= {@code fraction} x the maximum;
     * NaN when both are empty.
     */
    public static double iou(GreyImage heat, GreyImage mask, double fraction) {
        check(heat, mask);
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in [0, 1]: " + fraction);
        }
        float[] h = heat.pixels();
        float[] m = mask.pixels();
        float max = 0;
        for (float v : h) {
            max = Math.max(max, v);
        }
        double threshold = fraction * max;
        long intersection = 0;
        long union = 0;
        for (int i = 0; i < h.length; i++) {
            boolean hot = h[i] > 0 && h[i] >= threshold;
            boolean in = m[i] >= 0.5f;
            intersection += hot && in ? 1 : 0;
            union += hot || in ? 1 : 0;
        }
        return union == 0 ? Double.NaN : (double) intersection / union;
    }

    /**
     * Average precision of the heat as a score for region pixels: sum over distinct score thresholds,
     * highest first, of (recall gain) x precision, pixels with equal scores entering together (as
     * scikit-learn's average_precision_score). 1 for a perfect ranking, the region's share of the image
     * for constant heat; NaN when the region is empty.
     */
    public static double auprc(GreyImage heat, GreyImage mask) {
        check(heat, mask);
        float[] h = heat.pixels();
        float[] m = mask.pixels();
        int n = h.length;
        long positives = count(mask);
        if (positives == 0) {
            return Double.NaN;
        }
        // sort pixel indices by score, descending
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(h[b], h[a]));
        double ap = 0;
        long tp = 0;
        long seen = 0;
        int i = 0;
        while (i < n) {
            float score = h[order[i]];
            long tpBefore = tp;
            while (i < n && Float.compare(h[order[i]], score) == 0) {
                tp += m[order[i]] >= 0.5f ? 1 : 0;
                seen++;
                i++;
            }
            if (tp > tpBefore) {
                ap += (double) (tp - tpBefore) / positives * ((double) tp / seen);
            }
        }
        return ap;
    }

    private static void check(GreyImage heat, GreyImage mask) {
        if (heat.width() != mask.width() || heat.height() != mask.height()) {
            throw new IllegalArgumentException("heat " + heat.width() + "x" + heat.height() + " and mask "
                    + mask.width() + "x" + mask.height() + " differ in size");
        }
        for (float v : heat.pixels()) {
            if (!(v >= 0) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("heat values must be finite and >= 0, found " + v);
            }
        }
    }

    private static long count(GreyImage mask) {
        long c = 0;
        for (float v : mask.pixels()) {
            c += v >= 0.5f ? 1 : 0;
        }
        return c;
    }

    private static double sum(float[] values) {
        double s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }
}
