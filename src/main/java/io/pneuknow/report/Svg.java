package io.pneuknow.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Escaping, number formatting and axis ticks shared by the charts. */
public final class Svg {
    /** Okabe-Ito colours (without yellow, too pale on white): distinguishable with common colour-vision deficiencies. */
    static final List<String> PALETTE = List.of("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
            "#000000");
    /** Font size of labels and legends, px. */
    static final int FONT = 11;
    /** Rough width of one character at {@link #FONT}, px, to size legends and label columns. */
    static final double CHAR_PX = 6.6;

    private Svg() {
    }

    /** Text safe inside HTML/XML elements and double- or single-quoted attributes. */
    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    // control characters other than tab and newlines are not allowed in XML
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        out.append(' ');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /** A coordinate: two decimals, no trailing zeros, never "-0". */
    static String px(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s.equals("-0") ? "0" : s;
    }

    /** A colour of the palette, cycling. */
    static String colour(int index) {
        return PALETTE.get(Math.floorMod(index, PALETTE.size()));
    }

    /**
     * Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about {@code target}
     * ticks; only values inside [lo, hi] (with a small tolerance).
     */
    static double[] ticks(double lo, double hi, int target) {
        if (!(hi > lo)) {
            return new double[] {lo};
        }
        double step = niceStep((hi - lo) / Math.max(1, target));
        double first = Math.ceil(lo / step - 1e-9) * step;
        List<Double> out = new ArrayList<>();
        for (double v = first; v <= hi + step * 1e-9; v += step) {
            out.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double niceStep(double raw) {
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / power;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * power;
    }

    /** A tick label with as many decimals as the step needs. */
    static String tickLabel(double v, double step) {
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        return String.format(Locale.ROOT, "%." + decimals + "f", v).replaceAll("^-(0\\.?0*)$", "$1");
    }

    /** The opening tag of a chart: pixel size, viewBox, accessible name and a title element. */
    static StringBuilder open(String cssClass, String label, double width, double height) {
        StringBuilder s = new StringBuilder();
        s.append("<svg class=\"chart ").append(esc(cssClass)).append("\" width=\"").append(px(width))
                .append("\" height=\"").append(px(height)).append("\" viewBox=\"0 0 ").append(px(width)).append(' ')
                .append(px(height)).append("\" role=\"img\" aria-label=\"").append(esc(label)).append("\" font-family=\"sans-serif\" font-size=\"")
                .append(FONT).append("\"><title>").append(esc(label)).append("</title>");
        return s;
    }

    /** Text at (x, y) with an anchor (start, middle, end) and optional extra attributes (already escaped). */
    static String text(double x, double y, String anchor, String content, String extra) {
        return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" text-anchor=\"" + anchor + "\"" + (extra.isEmpty() ? "" : " " + extra)
                + ">" + esc(content) + "</text>";
    }

    /** Estimated width of a text at the chart font, px. */
    static double textWidth(String s) {
        return (s == null ? 0 : s.length()) * CHAR_PX;
    }
}
