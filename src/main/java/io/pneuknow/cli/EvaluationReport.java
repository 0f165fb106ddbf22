package io.pneuknow.cli;

import static io.pneuknow.report.HtmlPage.esc;

import io.pneuknow.evaluate.ClassLocalisation;
import io.pneuknow.evaluate.ClassMetrics;
import io.pneuknow.evaluate.ClassOperatingPoints;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.Localisation;
import io.pneuknow.evaluate.MetricIntervals;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.TemperatureScaling;
import io.pneuknow.explain.Overlays;
import io.pneuknow.model.ModelCard;
import io.pneuknow.report.HtmlPage;
import io.pneuknow.report.Numbers;
import io.pneuknow.report.ReliabilityChart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One self-contained HTML page for an evaluation ({@link HtmlPage}): tables with named columns and
 * numbers to three decimals, the confusion matrix, the reliability diagram ({@link ReliabilityChart}),
 * operating points with a comment where a threshold is degenerate, what temperature scaling did, and
 * heat maps against the expert's regions. A section with nothing to show says why instead of
 * standing empty.
 */
final class EvaluationReport {
    /** Overall metrics as a reader knows them, by the names evaluation.json and metrics.csv use. */
    private static final Map<String, String> OVERALL_NAMES = Map.of(
            "accuracy", "accuracy",
            "balanced_accuracy", "balanced accuracy (mean recall over the classes)",
            "macro_f1", "macro F1 (mean F1 over the classes)",
            "cohen_kappa", "Cohen's kappa (agreement beyond chance)",
            "macro_auc", "macro AUC (mean one-vs-rest area under the ROC curve)",
            "brier", "Brier score (0 best, 2 worst)",
            "ece", "expected calibration error, ECE (0 best)");
    private static final Map<String, String> PER_CLASS_NAMES = Map.of("precision", "precision", "recall",
            "recall (sensitivity)", "specificity", "specificity", "f1", "F1", "auc", "AUC (one vs rest)");

    private EvaluationReport() {
    }

    static String html(ModelCard card, String part, MetricIntervals metrics, MetricSet perPatient,
                       Map<String, Map<String, MetricSet>> subgroups,
                       Map<String, ClassOperatingPoints> operatingPoints, Localisation loc, TemperatureScaling.Calibration calibration, Path outDir)
            throws IOException {
        MetricSet m = metrics.metrics();
        StringBuilder h = new StringBuilder();
        h.append("<h1>Evaluation of model ").append(esc(card.id())).append("</h1>");
        h.append("<p>Method ").append(esc(card.method())).append(", architecture ").append(esc(card.architecture()))
                .append(", scored on the <b>").append(esc(part)).append("</b> part of its split: ").append(m.images())
                .append(" images. ").append(esc(card.intendedUse())).append("</p>");
        h.append("<p class=\"note\">Intervals: 95%, percentile bootstrap resampling patients, shown in brackets "
                + "after each estimate.</p>");

        h.append("<h2>Overall</h2><table><tr><th>metric</th><th>estimate</th><th>95% interval</th></tr>");
        for (String name : MetricIntervals.OVERALL) {
            row(h, OVERALL_NAMES.getOrDefault(name, name), metrics.get(name));
        }
        h.append("</table>");

        h.append("<h2>Per class</h2><div class=\"wide\"><table><tr><th>class</th><th>images</th>");
        for (String name : MetricIntervals.PER_CLASS) {
            h.append("<th>").append(esc(PER_CLASS_NAMES.getOrDefault(name, name))).append("</th>");
        }
        h.append("</tr>");
        for (ClassMetrics c : m.classes()) {
            h.append("<tr><td>").append(esc(c.name())).append("</td><td>").append(c.support()).append("</td>");
            for (String name : MetricIntervals.PER_CLASS) {
                h.append("<td class=\"nowrap\">").append(withInterval(metrics.get(name, c.name()))).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table></div>");
        if (!m.notes().isEmpty()) {
            h.append("<p class=\"note\">Not defined or partial:</p><ul class=\"note\">");
            m.notes().forEach((metric, reason) -> h.append("<li>").append(esc(OVERALL_NAMES.getOrDefault(metric, metric)))
                    .append(": ").append(esc(reason)).append("</li>"));
            h.append("</ul>");
        }

        h.append("<h2>Confusion matrix</h2><p class=\"note\">Rows: true class; columns: predicted class; "
                + "images.</p><table><tr><th>true \\ predicted</th>");
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

        h.append("<h2>Calibration</h2>").append(calibrationText(calibration));
        h.append(ReliabilityChart.svg("Reliability on the " + part + " part (ECE " + num(m.ece()) + ")", m.reliability()));
        h.append("<p class=\"note\">Each bar: the images whose top-class probability falls in its bin (their number "
                + "above it), as high as the share of them predicted correctly; a calibrated model's bars reach the "
                + "dashed diagonal. ECE: the bars' mean distance from it, weighted by images.</p>");
        h.append(String.format(Locale.ROOT, "<p>Per patient (the mean of each patient's probabilities): accuracy %s, "
                + "balanced accuracy %s.</p>", num(perPatient.accuracy()), num(perPatient.balancedAccuracy())));

        operatingPointsSection(h, part, operatingPoints);
        subgroupsSection(h, subgroups);
        heatMapsSection(h, loc, outDir);

        h.append("<h2>Provenance</h2><table><tr><th>item</th><th>value</th></tr>");
        h.append("<tr><td>population</td><td>").append(esc(card.population())).append("</td></tr>");
        h.append("<tr><td>data fingerprint</td><td class=\"mono\">").append(esc(card.dataFingerprint())).append("</td></tr>");
        if (card.versions() != null) {
            card.versions().forEach((name, value) -> h.append("<tr><td>").append(esc(name)).append("</td><td>")
                    .append(esc(value)).append("</td></tr>"));
        }
        h.append("</table>");
        return HtmlPage.document("PneuKnow evaluation of " + card.id(), h.toString());
    }

    /** What temperature scaling did: not asked for, applied, or refused and why. */
    private static String calibrationText(TemperatureScaling.Calibration calibration) {
        if (calibration == null) {
            return "<p>Probabilities as the model gives them (no temperature scaling; <code>--calibrate</code> fits "
                    + "one on the validation part).</p>";
        }
        if (calibration.applied()) {
            return String.format(Locale.ROOT, "<p>Temperature scaling: logits divided by %.3f, fitted on %d validation "
                    + "images.</p>", calibration.temperature(), calibration.validationImages());
        }
        return "<p><b>Temperature scaling not applied</b>: probabilities left uncalibrated (temperature 1) because "
                + esc(calibration.notApplied()) + ".</p>";
    }

    private static void operatingPointsSection(StringBuilder h, String part,
                                               Map<String, ClassOperatingPoints> operatingPoints) {
        Double target = operatingPoints.values().stream().map(ClassOperatingPoints::targetSpecificity)
                .filter(t -> t != null).findFirst().orElse(null);
        h.append("<h2>Operating points</h2><p class=\"note\">Per class, the lowest threshold on p(class) that "
                + "reaches ").append(target == null ? "the target specificity" : "specificity " + num(target))
                .append(" on the validation part; an image is called positive above it. Sensitivity and specificity: "
                        + "what it gives on the ").append(esc(part)).append(" part.</p>");
        boolean notes = operatingPoints.values().stream()
                .anyMatch(p -> p.note() != null || p.thresholdNote() != null);
        h.append("<div class=\"wide\"><table><tr><th>class</th><th>threshold</th><th>sensitivity</th><th>specificity</th>")
                .append(notes ? "<th>note</th>" : "").append("</tr>");
        for (var entry : operatingPoints.entrySet()) {
            ClassOperatingPoints point = entry.getValue();
            h.append("<tr><td>").append(esc(entry.getKey())).append("</td>");
            if (point.note() != null) {
                h.append("<td colspan=\"4\" class=\"note\">").append(esc(point.note())).append("</td></tr>");
                continue;
            }
            double threshold = point.thresholdForSpecificity();
            String shown = threshold < 0.001 ? "< 0.001" : threshold > 0.999 ? "> 0.999" : num(threshold);
            String note = point.thresholdNote();
            h.append("<td class=\"nowrap\">").append(esc(shown)).append("</td><td class=\"nowrap\">")
                    .append(withInterval(point.sensitivity())).append("</td><td class=\"nowrap\">")
                    .append(withInterval(point.specificity())).append("</td>");
            if (notes) {
                h.append("<td class=\"note\">").append(note == null ? "" : esc(note)).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table></div>");
    }

    private static void subgroupsSection(StringBuilder h, Map<String, Map<String, MetricSet>> subgroups) {
        h.append("<h2>Subgroups</h2>");
        if (subgroups.isEmpty()) {
            h.append("<p class=\"note\">None: the labels file has none of the columns source, view, sex and age; "
                    + "name other label columns with <code>--subgroups</code> to break the metrics down by them.</p>");
            return;
        }
        for (var column : subgroups.entrySet()) {
            h.append("<h3>").append(esc(column.getKey())).append("</h3><table><tr><th>value</th><th>images</th>")
                    .append("<th>accuracy</th><th>balanced accuracy</th></tr>");
            for (var value : column.getValue().entrySet()) {
                h.append("<tr><td>").append(esc(value.getKey())).append("</td><td>").append(value.getValue().images())
                        .append("</td><td>").append(num(value.getValue().accuracy())).append("</td><td>")
                        .append(num(value.getValue().balancedAccuracy())).append("</td></tr>");
            }
            h.append("</table>");
        }
    }

    private static void heatMapsSection(StringBuilder h, Localisation loc, Path outDir)
            throws IOException {
        h.append("<h2>Heat maps against the expert's regions</h2>");
        if (loc.annotatedImages() == 0) {
            h.append("<p>No annotated images scored in this part.</p>");
        } else {
            h.append("<p>").append(esc(loc.heatMap())).append(", ").append(loc.annotatedImages())
                    .append(" annotated images.</p><table><tr><th>agreement</th><th>estimate</th><th>95% interval</th></tr>");
            row(h, "energy pointing game (share of the heat inside the regions)", loc.energy());
            row(h, "pointing-game hit rate (hottest pixel inside a region)", loc.hitRate());
            row(h, "IoU of heat above half its maximum with the regions", loc.iou());
            row(h, "AUPRC (heat as a pixel score for the regions)", loc.auprc());
            h.append("</table>");
            if (!loc.perClass().isEmpty()) {
                h.append("<h3>Per class</h3><div class=\"wide\"><table><tr><th>class</th><th>images</th><th>energy pointing game</th>"
                        + "<th>pointing-game hit rate</th><th>IoU</th><th>AUPRC</th></tr>");
                for (var entry : loc.perClass().entrySet()) {
                    h.append("<tr><td>").append(esc(entry.getKey())).append("</td>");
                    if (entry.getValue() instanceof ClassLocalisation.TooFew tooFew) {
                        h.append("<td colspan=\"5\" class=\"note\">").append(esc(tooFew.reason()))
                                .append("</td></tr>");
                        continue;
                    }
                    ClassLocalisation.Scored scores = (ClassLocalisation.Scored) entry.getValue();
                    h.append("<td>").append(scores.images()).append("</td>");
                    for (Interval i : List.of(scores.energy(), scores.hitRate(), scores.iou(), scores.auprc())) {
                        h.append("<td class=\"nowrap\">").append(withInterval(i)).append("</td>");
                    }
                    h.append("</tr>");
                }
                h.append("</table></div>");
            }
        }
        if (!loc.undefined().isEmpty()) {
            h.append("<p class=\"note\">").append(loc.undefined().size()).append(loc.undefined().size() == 1
                    ? " annotated image" : " annotated images").append(" not scored (agreement undefined):</p><ul class=\"note\">");
            loc.undefined().forEach(reason -> h.append("<li>").append(esc(reason)).append("</li>"));
            h.append("</ul>");
        }
        if (!loc.overlays().isEmpty()) {
            h.append(String.format(Locale.ROOT, "<p class=\"note\">Overlays: the image in grey, the heat map in colour "
                    + "(blue low to red high, drawn where it exceeds %.0f%% of its maximum), the expert's regions "
                    + "outlined in green.</p><div class=\"plots\">", 100 * Overlays.MIN_HEAT));
            for (String png : loc.overlays()) {
                String id = Path.of(png).getFileName().toString().replaceAll("\\.png$", "");
                h.append("<figure style=\"margin:0\">").append(HtmlPage.png(Files.readAllBytes(outDir.resolve(png)), id)
                        .replace("<img ", "<img width=\"192\" ")).append("<figcaption class=\"note\">").append(esc(id))
                        .append("</figcaption></figure>");
            }
            h.append("</div>");
        }
    }

    private static void row(StringBuilder h, String name, Interval i) {
        h.append("<tr><td>").append(esc(name)).append("</td><td>").append(i == null ? "" : num(i.estimate()))
                .append("</td><td class=\"nowrap\">").append(i == null ? "" : interval(i)).append("</td></tr>");
    }

    private static String withInterval(Interval i) {
        return i == null ? "" : num(i.estimate()) + " <span class=\"note\">(" + interval(i) + ")</span>";
    }

    private static String interval(Interval i) {
        return Numbers.range(i);
    }

    /** Three decimals; "n/a" for an undefined value (the notes say why). */
    private static String num(double v) {
        return Numbers.three(v, "n/a");
    }
}
