package io.pneuknow.report;

import io.pneuknow.evaluate.ReliabilityBin;
import java.util.List;

/**
 * A reliability diagram: for each non-empty bin of top-class confidence, a bar as wide as the bin and
 * as high as the share of its images predicted correctly, the image count above it, and the dashed
 * diagonal of perfect calibration; both axes run 0 to 1 with ticks every 0.2 (x: predicted confidence,
 * y: observed accuracy). Bars are {@code rect.bin} with {@code data-count}.
 */
public final class ReliabilityChart {
    static final double SIZE = 240;
    static final double LEFT = 56;
    static final double TOP = 30;

    private ReliabilityChart() {
    }

    /** Where a value in [0, 1] lands along x. */
    public static LinearScale xScale() {
        return new LinearScale(0, 1, LEFT, LEFT + SIZE);
    }

    /** Where a value in [0, 1] lands along y. */
    public static LinearScale yScale() {
        return new LinearScale(0, 1, TOP + SIZE, TOP);
    }

    public static String svg(String title, List<ReliabilityBin> bins) {
        LinearScale xs = xScale();
        LinearScale ys = yScale();
        double width = Math.max(LEFT + SIZE + 20, Svg.textWidth(title) + LEFT);
        double height = TOP + SIZE + 42;
        StringBuilder s = Svg.open("reliability", title, width, height);
        s.append(Svg.text(LEFT, 16, "start", title, "class=\"title\" font-weight=\"bold\""));
        for (double t = 0; t <= 1.0001; t += 0.2) {
            double x = xs.map(t);
            double y = ys.map(t);
            s.append("<line class=\"grid\" x1=\"").append(Svg.px(x)).append("\" y1=\"").append(Svg.px(TOP)).append("\" x2=\"")
                    .append(Svg.px(x)).append("\" y2=\"").append(Svg.px(TOP + SIZE)).append("\" stroke=\"#e4e4e4\"/>");
            s.append("<line class=\"grid\" x1=\"").append(Svg.px(LEFT)).append("\" y1=\"").append(Svg.px(y)).append("\" x2=\"")
                    .append(Svg.px(LEFT + SIZE)).append("\" y2=\"").append(Svg.px(y)).append("\" stroke=\"#e4e4e4\"/>");
            s.append(Svg.text(x, TOP + SIZE + 14, "middle", Svg.tickLabel(t, 0.2), "class=\"tick\""));
            s.append(Svg.text(LEFT - 5, y + 4, "end", Svg.tickLabel(t, 0.2), "class=\"tick\""));
        }
        for (ReliabilityBin b : bins) {
            if (b.count() == 0 || Double.isNaN(b.accuracy())) {
                continue;
            }
            double x0 = xs.map(b.lower());
            double x1 = xs.map(b.upper());
            double y = ys.map(b.accuracy());
            s.append("<rect class=\"bin\" data-count=\"").append(b.count()).append("\" x=\"").append(Svg.px(x0 + 0.5))
                    .append("\" y=\"").append(Svg.px(y)).append("\" width=\"").append(Svg.px(Math.max(1, x1 - x0 - 1)))
                    .append("\" height=\"").append(Svg.px(ys.map(0) - y)).append("\" fill=\"#0072B2\" fill-opacity=\"0.75\"/>");
            s.append(Svg.text((x0 + x1) / 2, y - 3, "middle", Integer.toString(b.count()), "class=\"bin-count\" font-size=\"9\""));
        }
        s.append("<line class=\"diagonal\" x1=\"").append(Svg.px(xs.map(0))).append("\" y1=\"").append(Svg.px(ys.map(0)))
                .append("\" x2=\"").append(Svg.px(xs.map(1))).append("\" y2=\"").append(Svg.px(ys.map(1)))
                .append("\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>");
        s.append("<rect class=\"frame\" x=\"").append(Svg.px(LEFT)).append("\" y=\"").append(Svg.px(TOP)).append("\" width=\"")
                .append(Svg.px(SIZE)).append("\" height=\"").append(Svg.px(SIZE)).append("\" fill=\"none\" stroke=\"#888\"/>");
        s.append(Svg.text(LEFT + SIZE / 2, TOP + SIZE + 32, "middle", "predicted confidence (top class)", "class=\"axis-label\""));
        double yMid = TOP + SIZE / 2;
        s.append(Svg.text(16, yMid, "middle", "observed accuracy", "class=\"axis-label\" transform=\"rotate(-90 16 " + Svg.px(yMid) + ")\""));
        s.append("</svg>");
        return s.toString();
    }
}
