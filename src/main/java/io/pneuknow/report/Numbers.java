package io.pneuknow.report;

import io.pneuknow.evaluate.Interval;
import java.util.Locale;

/**
 * Numbers as the reports write them: three decimals, an estimate with its 95% interval, a signed
 * difference, an interval's range, a mean with its standard deviation. A value that is undefined
 * (NaN, or a missing interval) is written as the placeholder the caller gives (e.g. "n/a" or "–").
 * Plain text: escape it ({@link HtmlPage#esc}) where it goes into HTML next to user text.
 */
public final class Numbers {
    private Numbers() {
    }

    /** {@code v} to three decimals, or {@code undefined} for NaN. */
    public static String three(double v, String undefined) {
        return Double.isNaN(v) ? undefined : String.format(Locale.ROOT, "%.3f", v);
    }

    /** "estimate (lower, upper)" to three decimals, or {@code undefined} for a missing interval. */
    public static String withInterval(Interval i, String undefined) {
        return i == null ? undefined : String.format(Locale.ROOT, "%.3f (%.3f, %.3f)", i.estimate(), i.lower(), i.upper());
    }

    /** "+estimate (+lower, +upper)" to three decimals with signs, or {@code undefined} for a missing interval. */
    public static String signed(Interval i, String undefined) {
        return i == null ? undefined
                : String.format(Locale.ROOT, "%+.3f (%+.3f, %+.3f)", i.estimate(), i.lower(), i.upper());
    }

    /** "lower to upper" to three decimals, or "n/a" where no bootstrap replicate was valid. */
    public static String range(Interval i) {
        return Double.isNaN(i.lower()) ? "n/a" : three(i.lower(), "n/a") + " to " + three(i.upper(), "n/a");
    }

    /** "mean ± sd" to three decimals; the mean alone where sd is NaN (one value); {@code undefined} for a NaN mean. */
    public static String meanSd(double mean, double sd, String undefined) {
        return Double.isNaN(mean) ? undefined
                : Double.isNaN(sd) ? three(mean, undefined) : three(mean, undefined) + " ± " + three(sd, undefined);
    }
}
