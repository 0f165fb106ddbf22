package io.pneuknow.cli;

import io.pneuknow.evaluate.ClassMetrics;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.MetricIntervals;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.ReliabilityBin;
import io.pneuknow.model.ModelCard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One self-contained HTML page for an evaluation: tables, confusion matrix, reliability diagram, heat maps. */
final class EvaluationReport {
    private EvaluationReport() {
    }

    static String html(ModelCard card, String part, MetricIntervals metrics, MetricSet perPatient,
                       Map<String, Map<String, MetricSet>> subgroups, Map<String, Object> operatingPoints,
                       EvaluateCommand.Localisation loc, Path outDir)
            throws IOException {
        MetricSet m = metrics.metrics();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>PneuKnow evaluation</title><style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}")
                .append("td:first-child,th:first-child{text-align:left}.note{color:#777;font-size:.9em}")
                .append(".gallery img{width:256px;margin:.3em}</style></head><body>");
        h.append("<h1>Evaluation of model ").append(esc(card.id())).append("</h1>");
        h.append("<p>").append(esc(card.method())).append(", ").append(esc(card.architecture())).append(", part <b>")
                .append(esc(part)).append("</b>, ").append(m.images()).append(" images. ")
                .append(esc(card.intendedUse())).append("</p>");
        h.append("<p class=\"note\">Intervals: 95%, percentile bootstrap resampling patients.</p>");
        h.append("<h2>Overall</h2><table><tr><th>metric</th><th>estimate</th><th>95% CI</th></tr>");
        for (String name : MetricIntervals.OVERALL) {
            row(h, name, metrics.get(name));
        }
        h.append("</table>");
        h.append("<h2>Per class</h2><table><tr><th>class</th><th>support</th>");
        for (String name : MetricIntervals.PER_CLASS) {
            h.append("<th>").append(name).append("</th>");
        }
        h.append("</tr>");
        for (ClassMetrics c : m.classes()) {
            h.append("<tr><td>").append(esc(c.name())).append("</td><td>").append(c.support()).append("</td>");
            for (String name : MetricIntervals.PER_CLASS) {
                Interval i = metrics.get(name, c.name());
                h.append("<td>").append(fmt(i)).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table>");
        if (!m.notes().isEmpty()) {
            h.append("<p class=\"note\">").append(esc(m.notes().toString())).append("</p>");
        }
        h.append("<h2>Confusion matrix</h2><table><tr><th>true \\ predicted</th>");
        List<ClassMetrics> classes = m.classes();
        classes.forEach(c -> h.append("<th>").append(esc(c.name())).append("</th>"));
        h.append("</tr>");
        for (int r = 0; r < classes.size(); r++) {
            h.append("<tr><td>").append(esc(classes.get(r).name())).append("</td>");
            for (int c = 0; c < classes.size(); c++) {
                h.append("<td>").append(m.confusion()[r][c]).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table>");
        h.append("<h2>Calibration</h2>").append(reliabilitySvg(m.reliability()));
        h.append(String.format(Locale.ROOT, "<p>Per patient (mean probabilities): accuracy %.3f, balanced accuracy %.3f.</p>",
                perPatient.accuracy(), perPatient.balancedAccuracy()));
        h.append("<h2>Operating points (thresholds chosen on validation)</h2><table><tr><th>class</th>")
                .append("<th>threshold</th><th>sensitivity</th><th>specificity</th></tr>");
        for (var entry : operatingPoints.entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> point = (Map<String, Object>) entry.getValue();
            if (point.containsKey("note")) {
                h.append("<tr><td>").append(esc(entry.getKey())).append("</td><td colspan=\"3\" class=\"note\">")
                        .append(esc(String.valueOf(point.get("note")))).append("</td></tr>");
                continue;
            }
            h.append("<tr><td>").append(esc(entry.getKey())).append("</td><td>")
                    .append(num((Double) point.get("thresholdForSpecificity"))).append("</td><td>")
                    .append(fmt((Interval) point.get("sensitivity"))).append("</td><td>")
                    .append(fmt((Interval) point.get("specificity"))).append("</td></tr>");
        }
        h.append("</table>");
        h.append("<h2>Subgroups</h2>");
        for (var column : subgroups.entrySet()) {
            h.append("<h3>").append(esc(column.getKey())).append("</h3><table><tr><th>value</th><th>images</th>")
                    .append("<th>accuracy</th><th>balanced accuracy</th></tr>");
            for (var value : column.getValue().entrySet()) {
                h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%.3f</td><td>%.3f</td></tr>",
                        esc(value.getKey()), value.getValue().images(), value.getValue().accuracy(),
                        value.getValue().balancedAccuracy()));
            }
            h.append("</table>");
        }
        h.append("<h2>Heat maps against the expert's regions</h2>");
        if (!loc.undefined().isEmpty()) {
            h.append("<p class=\"note\">not scored (agreement undefined): ").append(esc(loc.undefined().toString()))
                    .append("</p>");
        }
        if (loc.annotatedImages() == 0) {
            h.append("<p>No annotated images scored in this part.</p>");
        } else {
            h.append("<p>").append(esc(loc.heatMap())).append(", ").append(loc.annotatedImages())
                    .append(" annotated images.</p><table><tr><th>agreement</th><th>estimate</th><th>95% CI</th></tr>");
            row(h, "energy pointing game", loc.energy());
            row(h, "pointing-game hit rate", loc.hitRate());
            row(h, "IoU (heat > 0.5 max)", loc.iou());
            row(h, "AUPRC", loc.auprc());
            h.append("</table><p class=\"note\">per class: ").append(esc(loc.perClass().toString())).append("</p>");
            h.append("<div class=\"gallery\">");
            for (String png : loc.overlays()) {
                byte[] bytes = Files.readAllBytes(outDir.resolve(png));
                h.append("<img alt=\"").append(esc(png)).append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(bytes)).append("\">");
            }
            h.append("</div>");
        }
        h.append("<h2>Provenance</h2><pre>").append(esc(String.valueOf(card.population()))).append("\n")
                .append(esc(String.valueOf(card.versions()))).append("\ndata ").append(esc(card.dataFingerprint()))
                .append("</pre></body></html>\n");
        return h.toString();
    }

    private static void row(StringBuilder h, String name, Interval i) {
        h.append("<tr><td>").append(esc(name)).append("</td><td>").append(i == null ? "" : num(i.estimate()))
                .append("</td><td>").append(i == null ? "" : num(i.lower()) + " - " + num(i.upper())).append("</td></tr>");
    }

    private static String fmt(Interval i) {
        return i == null ? "" : num(i.estimate()) + " <span class=\"note\">(" + num(i.lower()) + "-" + num(i.upper()) + ")</span>";
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** A reliability diagram: accuracy against confidence per bin, with the diagonal. */
    static String reliabilitySvg(List<ReliabilityBin> bins) {
        int size = 240;
        StringBuilder s = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (size + 40) + "\" height=\""
                + (size + 40) + "\" role=\"img\" aria-label=\"reliability diagram\"><g transform=\"translate(30,10)\">");
        s.append("<rect width=\"").append(size).append("\" height=\"").append(size).append("\" fill=\"none\" stroke=\"#999\"/>");
        s.append("<line x1=\"0\" y1=\"").append(size).append("\" x2=\"").append(size).append("\" y2=\"0\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>");
        for (ReliabilityBin b : bins) {
            if (b.count() == 0) {
                continue;
            }
            double x = b.lower() * size;
            double w = (b.upper() - b.lower()) * size;
            double hgt = b.accuracy() * size;
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7ebb\" opacity=\"0.8\"/>",
                    x, size - hgt, Math.max(1, w - 1), hgt));
        }
        s.append("<text x=\"").append(size / 2 - 30).append("\" y=\"").append(size + 25).append("\" font-size=\"11\">confidence</text>");
        s.append("<text x=\"-25\" y=\"").append(size / 2).append("\" font-size=\"11\" transform=\"rotate(-90 -20,")
                .append(size / 2).append(")\">accuracy</text></g></svg>");
        return s.toString();
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
