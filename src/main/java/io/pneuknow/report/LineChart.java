package io.pneuknow.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A line chart: several named series (NaN points leave a gap), optional horizontal reference lines
 * (dashed; the i-th reference takes the i-th series' colour, so a curve and its reference value share
 * one), an optional dashed diagonal y = x, axes with round ticks, and a legend on the right.
 *
 * <p>Elements carry classes for tests and styling: {@code polyline.series} and {@code circle.marker}
 * with {@code data-name}, {@code line.interval} (a series' vertical interval at a point, with {@code data-name}),
 * {@code line.reference} with {@code data-name}, {@code line.diagonal}.
 */
public final class LineChart {
    static final double TOP = 30;
    static final double LEFT = 56;
    static final double BOTTOM = 42;
    static final double RIGHT = 16;

    /** {@code lower}/{@code upper}: an interval per point (NaN: none), or null for none at all. */
    private record Series(String name, double[] x, double[] y, double[] lower, double[] upper) {
    }

    private record Reference(String name, double y) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private double[] xRange;
    private double[] yRange;
    private boolean markers = true;
    private boolean integerX;
    private String diagonal;
    private double plotWidth = 380;
    private double plotHeight = 240;
    private String cssClass = "line";

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Adds a series; x and y have the same length (pairs with a NaN coordinate are not drawn). */
    public LineChart series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values but " + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone(), null, null));
        return this;
    }

    /**
     * Adds a series with an interval at each point, drawn as a vertical line from {@code lower} to {@code upper}
     * (a NaN bound: no interval there); the series' intervals sit a few px beside the others' so they stay apart.
     */
    public LineChart series(String name, double[] x, double[] y, double[] lower, double[] upper) {
        if (x.length != y.length || lower.length != y.length || upper.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values, "
                    + lower.length + " lower and " + upper.length + " upper bounds");
        }
        series.add(new Series(name, x.clone(), y.clone(), lower.clone(), upper.clone()));
        return this;
    }

    /** Adds a horizontal reference line at {@code y} (e.g. the baseline's value). */
    public LineChart reference(String name, double y) {
        references.add(new Reference(name, y));
        return this;
    }

    /** Fixes the x axis to [lo, hi] instead of the data's extent. */
    public LineChart xRange(double lo, double hi) {
        xRange = new double[] {lo, hi};
        return this;
    }

    /** Fixes the y axis to [lo, hi] instead of the data's extent. */
    public LineChart yRange(double lo, double hi) {
        yRange = new double[] {lo, hi};
        return this;
    }

    /** Whether points get a dot (default true). */
    public LineChart markers(boolean on) {
        markers = on;
        return this;
    }

    /** Ticks on whole numbers only along x (epochs). */
    public LineChart integerX() {
        integerX = true;
        return this;
    }

    /** Draws the dashed line y = x, named in the legend. */
    public LineChart diagonal(String name) {
        diagonal = name;
        return this;
    }

    /** The size of the plot area in px (axes, title and legend come on top). */
    public LineChart size(double width, double height) {
        plotWidth = width;
        plotHeight = height;
        return this;
    }

    LineChart cssClass(String name) {
        cssClass = name;
        return this;
    }

    /** Where x values land, in px from the chart's left edge. */
    public LinearScale xScale() {
        double[] d = xRange != null ? xRange : LinearScale.extent(0, all(true));
        return new LinearScale(d[0], d[1], LEFT, LEFT + plotWidth);
    }

    /** Where y values land, in px from the chart's top edge (larger values higher up). */
    public LinearScale yScale() {
        double[] d = yRange;
        if (d == null) {
            double[] values = all(false);
            double[] withRefs = new double[values.length + references.size()];
            System.arraycopy(values, 0, withRefs, 0, values.length);
            for (int i = 0; i < references.size(); i++) {
                withRefs[values.length + i] = references.get(i).y();
            }
            d = LinearScale.extent(0.05, withRefs);
        }
        return new LinearScale(d[0], d[1], TOP + plotHeight, TOP);
    }

    private double[] all(boolean x) {
        List<Double> out = new ArrayList<>();
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    out.add(x ? s.x()[i] : s.y()[i]);
                    if (!x && s.lower() != null && Double.isFinite(s.lower()[i]) && Double.isFinite(s.upper()[i])) {
                        out.add(s.lower()[i]);
                        out.add(s.upper()[i]);
                    }
                }
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The chart as an inline SVG element. */
    public String svg() {
        LinearScale xs = xScale();
        LinearScale ys = yScale();
        List<String> legendNames = new ArrayList<>();
        series.forEach(s -> legendNames.add(s.name()));
        references.forEach(r -> legendNames.add(r.name()));
        if (diagonal != null) {
            legendNames.add(diagonal);
        }
        double legendWidth = legendNames.stream().mapToDouble(Svg::textWidth).max().orElse(0) + 40;
        double width = LEFT + plotWidth + RIGHT + legendWidth;
        double height = Math.max(TOP + plotHeight + BOTTOM, TOP + 16 * legendNames.size() + 8);
        StringBuilder s = Svg.open(cssClass, title, width, height);
        s.append(Svg.text(LEFT, 16, "start", title, "class=\"title\" font-weight=\"bold\""));
        double bottom = TOP + plotHeight;
        double right = LEFT + plotWidth;
        // grid and ticks
        double[] xt = ticks(xs.d0(), xs.d1(), integerX);
        double xStep = xt.length > 1 ? xt[1] - xt[0] : 1;
        for (double t : xt) {
            double x = xs.map(t);
            s.append(line(x, TOP, x, bottom, "grid", "#e4e4e4", null));
            s.append(Svg.text(x, bottom + 14, "middle", Svg.tickLabel(t, xStep), "class=\"tick\""));
        }
        double[] yt = ticks(ys.d0(), ys.d1(), false);
        double yStep = yt.length > 1 ? yt[1] - yt[0] : 1;
        for (double t : yt) {
            double y = ys.map(t);
            s.append(line(LEFT, y, right, y, "grid", "#e4e4e4", null));
            s.append(Svg.text(LEFT - 5, y + 4, "end", Svg.tickLabel(t, yStep), "class=\"tick\""));
        }
        s.append("<rect class=\"frame\" x=\"").append(Svg.px(LEFT)).append("\" y=\"").append(Svg.px(TOP))
                .append("\" width=\"").append(Svg.px(plotWidth)).append("\" height=\"").append(Svg.px(plotHeight))
                .append("\" fill=\"none\" stroke=\"#888\"/>");
        s.append(Svg.text(LEFT + plotWidth / 2, bottom + 32, "middle", xLabel, "class=\"axis-label\""));
        double yMid = TOP + plotHeight / 2;
        s.append(Svg.text(16, yMid, "middle", yLabel, "class=\"axis-label\" transform=\"rotate(-90 16 " + Svg.px(yMid) + ")\""));
        if (diagonal != null) {
            double lo = Math.max(xs.d0(), ys.d0());
            double hi = Math.min(xs.d1(), ys.d1());
            if (hi > lo) {
                s.append(line(xs.map(lo), ys.map(lo), xs.map(hi), ys.map(hi), "diagonal", "#999", "4 3"));
            }
        }
        for (int i = 0; i < references.size(); i++) {
            Reference r = references.get(i);
            if (Double.isFinite(r.y())) {
                double y = ys.map(r.y());
                s.append("<line class=\"reference\" data-name=\"").append(Svg.esc(r.name())).append("\" x1=\"")
                        .append(Svg.px(LEFT)).append("\" y1=\"").append(Svg.px(y)).append("\" x2=\"").append(Svg.px(right))
                        .append("\" y2=\"").append(Svg.px(y)).append("\" stroke=\"").append(referenceColour(i))
                        .append("\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
            }
        }
        for (int i = 0; i < series.size(); i++) {
            Series ser = series.get(i);
            String colour = Svg.colour(i);
            StringBuilder points = new StringBuilder();
            List<String> runs = new ArrayList<>();
            for (int k = 0; k < ser.x().length; k++) {
                double x = ser.x()[k];
                double y = ser.y()[k];
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    if (!points.isEmpty()) {
                        runs.add(points.toString().strip());
                        points.setLength(0);
                    }
                    continue;
                }
                points.append(Svg.px(xs.map(x))).append(',').append(Svg.px(ys.map(y))).append(' ');
            }
            if (!points.isEmpty()) {
                runs.add(points.toString().strip());
            }
            for (String run : runs) {
                String dash = seriesDash(i);
                s.append("<polyline class=\"series\" data-name=\"").append(Svg.esc(ser.name())).append("\" points=\"")
                        .append(run).append("\" fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\"")
                        .append(dash == null ? "" : " stroke-dasharray=\"" + dash + "\"").append("/>");
            }
            if (ser.lower() != null) {
                double shift = (i - (series.size() - 1) / 2.0) * 3;
                for (int k = 0; k < ser.x().length; k++) {
                    if (Double.isFinite(ser.x()[k]) && Double.isFinite(ser.lower()[k]) && Double.isFinite(ser.upper()[k])) {
                        double x = xs.map(ser.x()[k]) + shift;
                        s.append("<line class=\"interval\" data-name=\"").append(Svg.esc(ser.name())).append("\" x1=\"")
                                .append(Svg.px(x)).append("\" y1=\"").append(Svg.px(ys.map(ser.lower()[k])))
                                .append("\" x2=\"").append(Svg.px(x)).append("\" y2=\"")
                                .append(Svg.px(ys.map(ser.upper()[k]))).append("\" stroke=\"").append(colour)
                                .append("\" stroke-width=\"1.2\" opacity=\"0.7\"/>");
                    }
                }
            }
            if (markers) {
                for (int k = 0; k < ser.x().length; k++) {
                    if (Double.isFinite(ser.x()[k]) && Double.isFinite(ser.y()[k])) {
                        s.append("<circle class=\"marker\" data-name=\"").append(Svg.esc(ser.name())).append("\" cx=\"")
                                .append(Svg.px(xs.map(ser.x()[k]))).append("\" cy=\"").append(Svg.px(ys.map(ser.y()[k])))
                                .append("\" r=\"3\" fill=\"").append(colour).append("\"/>");
                    }
                }
            }
        }
        // legend
        double lx = right + RIGHT;
        double ly = TOP + 6;
        s.append("<g class=\"legend\">");
        for (int i = 0; i < series.size(); i++, ly += 16) {
            s.append(line(lx, ly, lx + 22, ly, "swatch", Svg.colour(i), seriesDash(i)));
            s.append(Svg.text(lx + 28, ly + 4, "start", series.get(i).name(), ""));
        }
        for (int i = 0; i < references.size(); i++, ly += 16) {
            s.append(line(lx, ly, lx + 22, ly, "swatch", referenceColour(i), "6 4"));
            s.append(Svg.text(lx + 28, ly + 4, "start", references.get(i).name(), ""));
        }
        if (diagonal != null) {
            s.append(line(lx, ly, lx + 22, ly, "swatch", "#999", "4 3"));
            s.append(Svg.text(lx + 28, ly + 4, "start", diagonal, ""));
        }
        s.append("</g></svg>");
        return s.toString();
    }

    /** Dotted for a series past the palette's colours, whose colour repeats an earlier series'; solid otherwise. */
    private static String seriesDash(int i) {
        return i < Svg.PALETTE.size() ? null : "2 3";
    }

        private String referenceColour(int i) {
        return i < series.size() ? Svg.colour(i) : "#666";
    }

    private static double[] ticks(double lo, double hi, boolean integers) {
        double[] t = Svg.ticks(lo, hi, 5);
        if (integers && t.length > 1 && t[1] - t[0] < 1) {
            List<Double> whole = new ArrayList<>();
            for (double v = Math.ceil(lo - 1e-9); v <= hi + 1e-9; v++) {
                whole.add(v);
            }
            return whole.stream().mapToDouble(Double::doubleValue).toArray();
        }
        return t;
    }

    private static String line(double x1, double y1, double x2, double y2, String cssClass, String colour, String dash) {
        return "<line class=\"" + cssClass + "\" x1=\"" + Svg.px(x1) + "\" y1=\"" + Svg.px(y1) + "\" x2=\"" + Svg.px(x2)
                + "\" y2=\"" + Svg.px(y2) + "\" stroke=\"" + colour + "\"" + (cssClass.equals("swatch") ? " stroke-width=\"2\"" : "")
                + (dash == null ? "" : " stroke-dasharray=\"" + dash + "\"") + "/>";
    }
}
