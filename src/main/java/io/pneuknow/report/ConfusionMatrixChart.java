package io.pneuknow.report;

import java.util.List;
import java.util.Locale;

/**
 * A confusion matrix as a grid: true classes in rows, predicted classes in columns, each cell showing
 * its count and shaded by the count's share of its row (the true class's images), so rare classes
 * show their errors as clearly as common ones. Cells are {@code rect.cell} and {@code text.count}
 * with {@code data-row} and {@code data-col}; totals per row at the right.
 */
public final class ConfusionMatrixChart {
    static final double CELL = 46;
    static final double TOP = 30;

    private ConfusionMatrixChart() {
    }

    /** The chart; {@code counts[t][p]} = images of true class t predicted as p. */
    public static String svg(String title, List<String> labels, int[][] counts) {
        int k = labels.size();
        if (counts.length != k) {
            throw new IllegalArgumentException(counts.length + " rows for " + k + " labels");
        }
        double labelWidth = labels.stream().mapToDouble(Svg::textWidth).max().orElse(0) + 8;
        double left = 18 + labelWidth; // room for the rotated "true class" label and the row labels
        // column labels rise at 40 degrees from the middle of their column (the totals column included)
        double rise = Math.max(labelWidth, Svg.textWidth("total") + 8);
        double gridTop = TOP + 20 + rise * Math.sin(Math.toRadians(40));
        double width = Math.max(left + k * CELL + 26 + rise * Math.cos(Math.toRadians(40)) + 6, Svg.textWidth(title) + 10);
        double height = gridTop + k * CELL + 12;
        StringBuilder s = Svg.open("confusion", title, width, height);
        s.append(Svg.text(4, 16, "start", title, "class=\"title\" font-weight=\"bold\""));
        s.append(Svg.text(left + k * CELL / 2, TOP + 10, "middle", "predicted class", "class=\"axis-label\""));
        double yMid = gridTop + k * CELL / 2;
        s.append(Svg.text(10, yMid, "middle", "true class", "class=\"axis-label\" transform=\"rotate(-90 10 " + Svg.px(yMid) + ")\""));
        for (int c = 0; c < k; c++) {
            double x = left + c * CELL + CELL / 2;
            double y = gridTop - 6;
            s.append(Svg.text(x, y, "start", labels.get(c), "class=\"col-label\" transform=\"rotate(-40 " + Svg.px(x) + " "
                    + Svg.px(y) + ")\""));
        }
        double totalX = left + k * CELL + 20;
        s.append(Svg.text(totalX, gridTop - 6, "start", "total", "class=\"col-label\" transform=\"rotate(-40 " + Svg.px(totalX)
                + " " + Svg.px(gridTop - 6) + ")\""));
        for (int r = 0; r < k; r++) {
            if (counts[r].length != k) {
                throw new IllegalArgumentException("row " + r + " has " + counts[r].length + " columns for " + k + " labels");
            }
            int total = 0;
            for (int v : counts[r]) {
                total += v;
            }
            double y = gridTop + r * CELL;
            s.append(Svg.text(left - 6, y + CELL / 2 + 4, "end", labels.get(r), "class=\"row-label\""));
            for (int c = 0; c < k; c++) {
                double share = total == 0 ? 0 : (double) counts[r][c] / total;
                double x = left + c * CELL;
                s.append("<rect class=\"cell\" data-row=\"").append(r).append("\" data-col=\"").append(c)
                        .append("\" data-share=\"").append(String.format(Locale.ROOT, "%.4f", share)).append("\" x=\"")
                        .append(Svg.px(x)).append("\" y=\"").append(Svg.px(y)).append("\" width=\"").append(Svg.px(CELL))
                        .append("\" height=\"").append(Svg.px(CELL)).append("\" fill=\"").append(shade(share))
                        .append("\" stroke=\"").append(r == c ? "#333" : "#bbb").append("\"/>");
                s.append(Svg.text(x + CELL / 2, y + CELL / 2 + 4, "middle", Integer.toString(counts[r][c]),
                        "class=\"count\" data-row=\"" + r + "\" data-col=\"" + c + "\" fill=\"" + (share > 0.55 ? "#fff" : "#000") + "\""));
            }
            s.append(Svg.text(totalX, y + CELL / 2 + 4, "middle", Integer.toString(total),
                    "class=\"total\" data-row=\"" + r + "\" fill=\"#555\""));
        }
        s.append("</svg>");
        return s.toString();
    }

    /** White (share 0) to dark blue (share 1). */
    static String shade(double share) {
        double t = Math.max(0, Math.min(1, share));
        int r = (int) Math.round(255 + t * (0x1f - 255));
        int g = (int) Math.round(255 + t * (0x4e - 255));
        int b = (int) Math.round(255 + t * (0x8c - 255));
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }
}
