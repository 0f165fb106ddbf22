package io.pneuknow.guard;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How often the guard warned on one set of images: out of scope (any warning but low confidence) and
 * with low confidence counted too, each with its Wilson 95 % interval, and how many images got each code.
 */
public record GuardRate(String set, int images, int outOfScope, double outOfScopeRate, double[] outOfScopeInterval,
                        int anyWarning, double anyWarningRate, double[] anyWarningInterval, Map<String, Integer> codes) {
    private static final double Z = 1.959964;

    /** The rate over each image's warnings. */
    public static GuardRate of(String set, List<List<GuardWarning>> warningsPerImage) {
        int n = warningsPerImage.size();
        int out = 0;
        int any = 0;
        Map<String, Integer> codes = new TreeMap<>();
        for (List<GuardWarning> warnings : warningsPerImage) {
            out += warnings.stream().anyMatch(GuardWarning::outOfScope) ? 1 : 0;
            any += warnings.isEmpty() ? 0 : 1;
            warnings.stream().map(GuardWarning::code).distinct().forEach(c -> codes.merge(c, 1, Integer::sum));
        }
        return new GuardRate(set, n, out, n == 0 ? Double.NaN : (double) out / n, wilson(out, n), any,
                n == 0 ? Double.NaN : (double) any / n, wilson(any, n), codes);
    }

    /** The Wilson score 95 % interval of k successes in n trials ({NaN, NaN} for n = 0). */
    public static double[] wilson(int k, int n) {
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double p = (double) k / n;
        double denominator = 1 + Z * Z / n;
        double centre = (p + Z * Z / (2 * n)) / denominator;
        double half = Z * Math.sqrt(p * (1 - p) / n + Z * Z / (4.0 * n * n)) / denominator;
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }
}
