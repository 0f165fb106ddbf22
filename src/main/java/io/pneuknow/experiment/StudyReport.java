package io.pneuknow.experiment;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetSummary;
import io.pneuknow.data.Split;
import io.pneuknow.evaluate.ClassLocalisation;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.explain.Overlays;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.report.ConfusionMatrixChart;
import io.pneuknow.report.HtmlPage;
import io.pneuknow.report.LineChart;
import io.pneuknow.report.Numbers;
import io.pneuknow.report.ReliabilityChart;
import io.pneuknow.report.RocCurve;
import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The study's report.html: one self-contained page (CSS inline, plots as inline SVG, images as data:
 * URIs, no network) with the data and the grid, the settings, the tables of {@link StudyTables}, the
 * learning curves, ROC curves, confusion matrices and reliability diagrams of every model on its
 * pooled out-of-fold predictions, the annotation-fraction curve, a gallery of Grad-CAM overlays of
 * every method side by side over the expert's regions, and the provenance of every cell's model.
 *
 * <p>A renderer: it draws results computed before it ({@link StudyTables}, {@link StudyFigures} with the
 * {@link HeatMapGallery}) and reads the study folder's data-fingerprint.txt and each cell's model.json for
 * the provenance; it loads no model and runs no Grad-CAM.
 */
public final class StudyReport {
    /** File name in the study folder. */
    public static final String FILE = "report.html";

    private StudyReport() {
    }

    /** Writes report.html into the study folder, atomically; returns its path. */
    public static Path write(StudyConfig config, Dataset dataset, Split folds, StudyTables tables, StudyFigures figures,
                             List<CellResult> results, Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        String html = html(config, dataset, folds, tables, figures, results, dir);
        AtomicFiles.writeString(file, html);
        return file;
    }

    static String html(StudyConfig config, Dataset dataset, Split folds, StudyTables tables, StudyFigures figures,
                       List<CellResult> results, Path dir) throws IOException {
        List<String> classes = dataset.classes();
        String name = config.name() == null || config.name().isBlank() ? dir.getFileName().toString() : config.name();
        StringBuilder h = new StringBuilder();
        h.append("<h1>Study ").append(esc(name)).append("</h1>");
        h.append("<p class=\"note\">").append(esc(ModelCard.INTENDED_USE)).append(" Folder: <span class=\"mono\">")
                .append(esc(dir.toAbsolutePath().toString())).append("</span>. Descriptive tables are means ± standard ")
                .append("deviations over cells (folds × seeds); the primary comparison and the plots use the pooled ")
                .append("out-of-fold predictions (probabilities averaged over seeds per image).</p>");
        h.append("<p>Sections: <a href=\"#data\">data and grid</a> · <a href=\"#settings\">settings</a> · ")
                .append("<a href=\"#results\">results</a> · <a href=\"#curves\">learning curves</a> · ")
                .append("<a href=\"#models\">ROC, confusion, calibration</a> · <a href=\"#localisation\">localisation</a> · ")
                .append("<a href=\"#fraction\">annotation fraction</a> · <a href=\"#gallery\">heat maps</a> · ")
                .append("<a href=\"#provenance\">provenance</a></p>");
        dataSection(h, config, dataset, folds, results, dir);
        settingsSection(h, config);
        resultsSection(h, tables);
        curvesSection(h, config, tables, figures.models().stream().map(StudyFigures.ModelFigures::model).toList());
        modelsSection(h, classes, figures.models());
        localisationSection(h, tables);
        fractionSection(h, config, tables);
        gallerySection(h, figures.gallery());
        provenanceSection(h, results, dir);
        return HtmlPage.document("PneuKnow study " + name, h.toString());
    }

    private static void dataSection(StringBuilder h, StudyConfig config, Dataset dataset, Split folds,
                                    List<CellResult> results, Path dir) throws IOException {
        h.append("<h2 id=\"data\">Data and grid</h2>");
        Path marker = dir.resolve("data-fingerprint.txt");
        String fingerprint = Files.exists(marker) ? Files.readString(marker).strip() : "(not recorded)";
        h.append("<p>Data set <span class=\"mono\">").append(esc(String.valueOf(dataset.root()))).append("</span>, fingerprint ")
                .append("<span class=\"mono\">").append(esc(fingerprint)).append("</span>.</p>");
        DatasetSummary summary = DatasetSummary.of(dataset);
        h.append("<table><tr><th>class</th><th>images</th><th>patients</th><th>annotated images</th></tr>");
        List<DatasetSummary.ClassCounts> rows = new ArrayList<>(summary.classes());
        rows.add(summary.total());
        for (DatasetSummary.ClassCounts c : rows) {
            h.append("<tr><td>").append(esc(c.className())).append("</td><td>").append(c.images()).append("</td><td>")
                    .append(c.patients()).append("</td><td>").append(c.annotatedImages()).append("</td></tr>");
        }
        h.append("</table>");
        boolean fixed = folds.parts().contains(Split.TRAIN);
        List<Integer> foldsRun = fixed ? List.of(0) : config.foldsToRun(folds.parts().size());
        if (fixed) {
            h.append("<p>The data's own train/val/test split (column ").append(esc(config.data().splitColumn()))
                    .append("); cells differ by seed only.</p>");
        } else {
            h.append("<p>").append(folds.parts().size()).append(config.data().splitColumn() == null
                            ? " patient-grouped, stratified folds (seed " + config.foldSeed() + ")"
                            : " folds from column " + config.data().splitColumn())
                    .append("; each fold is the test part once and the next fold its validation part. Test folds run: ")
                    .append(esc(foldsRun.toString())).append(".</p>");
        }
        h.append("<pre>").append(esc(folds.countsTable(dataset))).append("</pre>");
        h.append("<table><tr><th>grid</th><th>values</th></tr>");
        h.append("<tr><td>architectures</td><td>").append(esc(String.join(", ", config.architectures()))).append("</td></tr>");
        h.append("<tr><td>methods</td><td>");
        List<String> methods = new ArrayList<>();
        for (String m : config.methods()) {
            StudyMethod method = StudyMethod.parse(m);
            methods.add(m + (method.trainingMethod().distills() ? " (teacher input " + method.teacherInput()
                    + (method.teacherFraction() < 1 ? ", teacher on a share " + num(method.teacherFraction())
                    + " of the training images" : "")
                    + (method.regionsKeptFraction() < 1 ? ", regions of a share " + num(method.regionsKeptFraction())
                    + " of the annotated images kept" : "") + ")" : ""));
        }
        h.append(esc(String.join("; ", methods))).append("</td></tr>");
        h.append("<tr><td>seeds</td><td>").append(esc(config.seeds().toString())).append("</td></tr>");
        int planned = config.architectures().size() * config.methods().size() * foldsRun.size() * config.seeds().size();
        h.append("<tr><td>cells</td><td>").append(results.size()).append(" finished of ").append(planned).append("</td></tr>");
        h.append("</table>");
    }

    private static void settingsSection(StringBuilder h, StudyConfig config) throws IOException {
        h.append("<h2 id=\"settings\">Settings</h2><p>Base training settings of every cell (the grid sets method, teacher ")
                .append("input, architecture, seed and annotation fraction); bootstrap replicates ")
                .append(config.bootstrapReplicates()).append(".</p><table><tr><th>setting</th><th>value</th></tr>");
        var tree = Json.MAPPER.valueToTree(config.train());
        tree.fields().forEachRemaining(f -> h.append("<tr><td>").append(esc(f.getKey())).append("</td><td>")
                .append(esc(f.getValue().isTextual() ? f.getValue().asText() : f.getValue().toString())).append("</td></tr>"));
        h.append("</table><p>Data specification:</p><pre>")
                .append(esc(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config.data()))).append("</pre>");
    }

    private static void resultsSection(StringBuilder h, StudyTables t) {
        h.append("<h2 id=\"results\">Results</h2><h3>Per model (mean ± sd over cells)</h3>");
        h.append("<table><tr><th>architecture</th><th>method</th><th>cells</th><th>accuracy</th><th>balanced accuracy</th>")
                .append("<th>macro-F1</th><th>teacher (ROI)</th><th>teacher without no-finding</th><th>minutes per cell</th></tr>");
        for (StudyTables.Row r : t.rows()) {
            h.append("<tr><td>").append(esc(r.architecture())).append("</td><td>").append(esc(r.method())).append("</td><td>")
                    .append(r.cells()).append("</td><td>").append(pm(r.accuracyMean(), r.accuracySd())).append("</td><td>")
                    .append(pm(r.balancedAccuracyMean(), r.balancedAccuracySd())).append("</td><td>")
                    .append(pm(r.macroF1Mean(), r.macroF1Sd())).append("</td><td>")
                    .append(pm(r.teacherAccuracyMean(), r.teacherAccuracySd())).append("</td><td>")
                    .append(pm(r.teacherWithoutNoFindingMean(), r.teacherWithoutNoFindingSd())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.1f", r.minutesMean())).append("</td></tr>");
        }
        h.append("</table>");
        h.append("<h3>Primary comparison: method minus its reference</h3><p class=\"note\">Pooled out-of-fold predictions of the ")
                .append("same images; patient-level paired bootstrap, 95% intervals. The reference is the baseline with the")
                .append(" same variants; for a baseline with variants, the plain baseline; or as the study file's")
                .append(" \"comparisons\" pair them.</p>");
        if (t.comparisons().isEmpty()) {
            h.append("<p>No comparison: the study has no baseline, or no other method on the same images.</p>");
        } else {
            h.append("<table><tr><th>architecture</th><th>method</th><th>reference</th><th>images</th><th>balanced accuracy reference → method</th>")
                    .append("<th>difference (95% CI)</th><th>accuracy difference (95% CI)</th>")
                    .append("<th>heat inside regions, difference (95% CI)</th><th>annotated images</th></tr>");
            for (StudyTables.Comparison c : t.comparisons()) {
                h.append("<tr><td>").append(esc(c.architecture())).append("</td><td>").append(esc(c.method())).append("</td><td>")
                        .append(esc(c.reference())).append("</td><td>").append(c.images()).append("</td><td>").append(num(c.baselineBalancedAccuracy())).append(" → ")
                        .append(num(c.methodBalancedAccuracy())).append("</td><td>").append(signed(c.balancedAccuracyDifference()))
                        .append("</td><td>").append(signed(c.accuracyDifference())).append("</td><td>")
                        .append(signed(c.energyDifference())).append("</td><td>").append(c.localisedImages()).append("</td></tr>");
            }
            h.append("</table>");
        }
        if (!t.pooled().isEmpty()) {
            h.append("<h3>Pooled out-of-fold figures</h3><p class=\"note\">Probabilities averaged over seeds per image;")
                    .append(" patient-level 95% intervals. Chance recall is 1/classes.</p>");
            pooledTable(h, t.pooled());
        }
        if (t.priorShifted() != null && !t.priorShifted().isEmpty()) {
            h.append("<h3>Moved to the training prior</h3><p class=\"note\">Models trained with class-balanced sampling")
                    .append(" or class weights (one of them) learned a uniform class prior; here each cell's test probabilities are")
                    .append(" multiplied by its training part's class frequencies and renormalised, then pooled as above:")
                    .append(" how the model would predict where the classes occur as often as in training.</p>");
            pooledTable(h, t.priorShifted());
        }
        h.append("<h3>Per-class F1 (mean over cells)</h3>");
        List<String> classes = t.perClassF1().values().stream().findFirst().map(m -> List.copyOf(m.keySet())).orElse(List.of());
        h.append("<table><tr><th>model</th>");
        classes.forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
        h.append("</tr>");
        t.perClassF1().forEach((model, f1) -> {
            h.append("<tr><td>").append(esc(model)).append("</td>");
            f1.values().forEach(v -> h.append("<td>").append(num(v)).append("</td>"));
            h.append("</tr>");
        });
        h.append("</table>");
    }

    private static void curvesSection(StringBuilder h, StudyConfig config, StudyTables t, List<String> models) {
        h.append("<h2 id=\"curves\">Learning curves</h2><p class=\"note\">Validation loss per epoch (epochs from 0, as in ")
                .append("learning-curves.csv), mean over the cells of each model; for HKD methods the student stage's. ")
                .append("The kept checkpoint of each cell is listed under provenance.</p><div class=\"plots\">");
        for (String architecture : config.architectures()) {
            LineChart chart = new LineChart("Mean validation loss, " + architecture, "epoch", "validation loss").integerX();
            int series = 0;
            for (String method : config.methods()) {
                List<Double> curve = t.meanValLoss().get(architecture + " " + method);
                if (curve == null || !models.contains(architecture + " " + method)) {
                    continue;
                }
                double[] x = new double[curve.size()];
                double[] y = new double[curve.size()];
                for (int e = 0; e < curve.size(); e++) {
                    x[e] = e;
                    y[e] = curve.get(e) == null ? Double.NaN : curve.get(e);
                }
                chart.series(method, x, y);
                series++;
            }
            if (series > 0) {
                h.append(chart.svg());
            }
        }
        h.append("</div>");
    }

    private static void modelsSection(StringBuilder h, List<String> classes, List<StudyFigures.ModelFigures> models) {
        h.append("<h2 id=\"models\">ROC curves, confusion matrices and calibration</h2><p class=\"note\">Per model, on the pooled ")
                .append("out-of-fold test predictions. ROC: one class against the rest, by the class's probability. Confusion ")
                .append("matrix: counts, shaded by their share of the true class's images. Reliability: top-class confidence in ")
                .append(Metrics.CALIBRATION_BINS).append(" equal bins, bar height = accuracy in the bin, image count above.</p>");
        for (StudyFigures.ModelFigures model : models) {
            MetricSet m = model.metrics();
            h.append("<h3>").append(esc(model.model())).append("</h3><p>").append(m.images())
                    .append(" images: accuracy ").append(num(m.accuracy())).append(", balanced accuracy ")
                    .append(num(m.balancedAccuracy())).append(", macro AUC ").append(num(m.macroAuc())).append(", ECE ")
                    .append(num(m.ece())).append(".</p><div class=\"plots\">");
            h.append(RocCurve.chart("ROC, " + model.model(), model.roc()));
            h.append(ConfusionMatrixChart.svg("Confusion, " + model.model(), classes, m.confusion()));
            h.append(ReliabilityChart.svg("Reliability, " + model.model() + " (ECE " + num(m.ece()) + ")", m.reliability()));
            h.append("</div>");
        }
    }

    private static void localisationSection(StringBuilder h, StudyTables t) {
        h.append("<h2 id=\"localisation\">Localisation: Grad-CAM of the true class against the expert's regions</h2>");
        if (t.localisation().isEmpty()) {
            h.append("<p>No localisation scores recorded.</p>");
            return;
        }
        h.append("<p class=\"note\">Annotated test images only. Mean ± sd over cells; pooled: scores averaged over seeds per ")
                .append("image, patient-level 95% intervals. Energy: share of the heat inside the regions; hit: hottest pixel ")
                .append("inside; IoU of the map thresholded at half its maximum; AUPRC of heat for region pixels.</p>");
        h.append("<table><tr><th>architecture</th><th>method</th><th>images</th><th>energy</th><th>hit rate</th><th>IoU</th>")
                .append("<th>AUPRC</th><th>pooled energy (95% CI)</th><th>pooled hit rate (95% CI)</th></tr>");
        for (StudyTables.LocalisationRow l : t.localisation()) {
            h.append("<tr><td>").append(esc(l.architecture())).append("</td><td>").append(esc(l.method())).append("</td><td>")
                    .append(l.images()).append(l.undefined() > 0 ? " (+" + l.undefined() + " undefined)" : "").append("</td><td>")
                    .append(pm(l.energyMean(), l.energySd())).append("</td><td>").append(pm(l.hitRateMean(), l.hitRateSd()))
                    .append("</td><td>").append(pm(l.iouMean(), l.iouSd())).append("</td><td>").append(pm(l.auprcMean(), l.auprcSd()))
                    .append("</td><td>").append(interval(l.energy())).append("</td><td>").append(interval(l.hitRate()))
                    .append("</td></tr>");
        }
        h.append("</table><h3>Per class (pooled energy, 95% CI)</h3><ul>");
        for (StudyTables.LocalisationRow l : t.localisation()) {
            List<String> parts = new ArrayList<>();
            l.perClass().forEach((cls, v) -> parts.add(cls + " " + (v instanceof ClassLocalisation.Scored m
                    ? interval(m.energy()) + " (" + m.images() + " images)" : ((ClassLocalisation.TooFew) v).reason())));
            h.append("<li>").append(esc(l.architecture() + " " + l.method())).append(": ")
                    .append(esc(parts.isEmpty() ? "no annotated images" : String.join("; ", parts))).append("</li>");
        }
        h.append("</ul>");
    }

    private static void fractionSection(StringBuilder h, StudyConfig config, StudyTables t) {
        h.append("<h2 id=\"fraction\">Annotation-fraction curve</h2>");
        if (t.annotationFraction().isEmpty()) {
            h.append("<p>The study has no hkd-fraction-F method.</p>");
            return;
        }
        h.append("<p class=\"note\">HKD whose teacher trained on a share of the training images, its epochs ")
                .append("scaled by 1 / share, the student distilling on all of them (1 = plain HKD); mean ± sd over cells. Dashed: the baseline of the same architecture.</p>");
        h.append("<table><tr><th>architecture</th><th>method</th><th>fraction</th><th>cells</th><th>balanced accuracy</th>")
                .append("<th>accuracy</th><th>heat inside regions</th></tr>");
        for (StudyTables.FractionPoint f : t.annotationFraction()) {
            h.append("<tr><td>").append(esc(f.architecture())).append("</td><td>").append(esc(f.method())).append("</td><td>")
                    .append(num(f.fraction())).append("</td><td>").append(f.cells()).append("</td><td>")
                    .append(pm(f.balancedAccuracyMean(), f.balancedAccuracySd())).append("</td><td>")
                    .append(pm(f.accuracyMean(), f.accuracySd())).append("</td><td>").append(num(f.energyMean())).append("</td></tr>");
        }
        h.append("</table><div class=\"plots\">");
        for (String architecture : config.architectures()) {
            List<StudyTables.FractionPoint> points = t.annotationFraction().stream()
                    .filter(p -> p.architecture().equals(architecture)).toList();
            if (points.isEmpty()) {
                continue;
            }
            double[] x = points.stream().mapToDouble(StudyTables.FractionPoint::fraction).toArray();
            LineChart chart = new LineChart("Annotation fraction, " + architecture, "share of annotated training images used",
                    "mean over cells").xRange(0, 1)
                    .series("HKD balanced accuracy", x, points.stream().mapToDouble(StudyTables.FractionPoint::balancedAccuracyMean).toArray())
                    .series("HKD heat inside regions", x, points.stream().mapToDouble(StudyTables.FractionPoint::energyMean).toArray());
            double baselineBa = t.rows().stream().filter(r -> r.architecture().equals(architecture) && r.method().equals(TrainingMethods.reference().name()))
                    .mapToDouble(StudyTables.Row::balancedAccuracyMean).findFirst().orElse(Double.NaN);
            double baselineEnergy = t.localisation().stream()
                    .filter(l -> l.architecture().equals(architecture) && l.method().equals(TrainingMethods.reference().name()))
                    .mapToDouble(StudyTables.LocalisationRow::energyMean).findFirst().orElse(Double.NaN);
            chart.reference("baseline balanced accuracy" + (Double.isNaN(baselineBa) ? " (not available)" : ""), baselineBa);
            chart.reference("baseline heat inside regions" + (Double.isNaN(baselineEnergy) ? " (not available)" : ""), baselineEnergy);
            h.append(chart.svg());
        }
        h.append("</div>");
    }

    private static void gallerySection(StringBuilder h, HeatMapGallery gallery) {
        h.append("<h2 id=\"gallery\">Heat maps over the expert's regions</h2><p class=\"note\">Grad-CAM of the true class at ")
                .append("the last feature map (as scored above), blended over the X-ray where above ")
                .append(num(Overlays.MIN_HEAT)).append(" of its maximum; the expert's region outlined in green. Each method's ")
                .append("map comes from the model of the fold that tested the image (first seed). Up to ")
                .append(HeatMapGallery.GALLERY_IMAGES)
                .append(" annotated images per architecture, taken in turn from each class.</p>");
        for (HeatMapGallery.Architecture architecture : gallery.architectures()) {
            h.append("<h3>").append(esc(architecture.name())).append("</h3>");
            if (architecture.rows().isEmpty()) {
                h.append("<p>No annotated image was tested by every method.</p>");
                continue;
            }
            h.append("<table class=\"gallery\"><tr><th>image</th><th>expert's region</th>");
            architecture.methods().forEach(m -> h.append("<th>").append(esc(m)).append("</th>"));
            h.append("</tr>");
            for (HeatMapGallery.Row row : architecture.rows()) {
                h.append("<tr><td>").append(esc(row.imageId())).append("<br>class ").append(esc(row.className()))
                        .append("<br>patient ").append(esc(row.patientId())).append("<br>test fold ").append(row.testFold())
                        .append("</td><td>");
                h.append(HtmlPage.png(row.expertRegionPng(), "expert's region " + row.imageId()));
                h.append("<div class=\"caption\">").append(row.regions()).append(row.regions() == 1 ? " region" : " regions")
                        .append("</div></td>");
                for (HeatMapGallery.Panel panel : row.panels()) {
                    h.append("<td>");
                    if (panel.overlayPng() != null) {
                        h.append(HtmlPage.png(panel.overlayPng(), architecture.name() + " " + panel.method() + " " + row.imageId()));
                    }
                    h.append("<div class=\"caption\">").append(esc(panel.caption())).append("</div></td>");
                }
                h.append("</tr>");
            }
            h.append("</table>");
        }
    }

    private static void provenanceSection(StringBuilder h, List<CellResult> results, Path dir) throws IOException {
        h.append("<h2 id=\"provenance\">Provenance of every model</h2><p class=\"note\">From each cell's cell.json and model.json ")
                .append("(cells/&lt;architecture&gt;/&lt;method&gt;/fold-k/seed-s). Epochs count from 0; seconds include ")
                .append("prediction and scoring; versions are listed below the table.</p>");
        Path marker = dir.resolve("data-fingerprint.txt");
        String studyFingerprint = Files.exists(marker) ? Files.readString(marker).strip() : null;
        List<Map<String, String>> versionSets = new ArrayList<>();
        h.append("<div class=\"wide\"><table><tr><th>cell</th><th>model id</th><th>weights sha256</th>")
                .append("<th>HKD teacher: weights sha256 (input)</th><th>kept epoch / trained</th>")
                .append("<th>validation loss at kept epoch</th><th>seconds</th><th>created</th><th>data</th><th>versions</th></tr>");
        for (CellResult c : results) {
            Path modelDir = StudyRunner.Cell.of(c).dir(dir);
            h.append("<tr><td class=\"nowrap\">").append(esc(label(c))).append("</td>");
            ModelCard card;
            try {
                card = ModelBundle.readCard(modelDir);
            } catch (BadInputException e) {
                h.append("<td class=\"mono\">").append(esc(c.modelId())).append("</td><td colspan=\"8\">")
                        .append(esc(e.getMessage())).append("</td></tr>");
                continue;
            }
            boolean sameId = Objects.equals(card.id(), c.modelId());
            h.append("<td class=\"mono\">").append(esc(card.id()))
                    .append(sameId ? "" : " (cell.json says " + esc(c.modelId()) + ")").append("</td>");
            h.append("<td class=\"hash\">").append(esc(card.weightsSha256())).append("</td><td class=\"hash\">");
            if (card.teacher() != null) {
                h.append(esc(card.teacher().weightsSha256())).append(" (").append(esc(card.teacher().input())).append(")");
            } else {
                h.append("–");
            }
            ModelCard.Checkpoint cp = card.checkpoint();
            h.append("</td><td>").append(c.keptEpoch()).append(cp == null ? "" : " / " + cp.epochsTrained()).append("</td><td>")
                    .append(cp == null ? "–" : num(cp.valLoss())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.1f", c.seconds())).append("</td><td>")
                    .append(esc(card.createdAt() == null ? "" : card.createdAt().replaceFirst("\\.\\d+Z$", "Z"))).append("</td>");
            if (Objects.equals(card.dataFingerprint(), studyFingerprint)) {
                h.append("<td>this study</td>");
            } else {
                h.append("<td class=\"hash\">other data: ").append(esc(card.dataFingerprint())).append("</td>");
            }
            Map<String, String> versions = card.versions() == null ? Map.of() : card.versions();
            int index = versionSets.indexOf(versions);
            if (index < 0) {
                versionSets.add(versions);
                index = versionSets.size() - 1;
            }
            h.append("<td>V").append(index + 1).append("</td></tr>");
        }
        h.append("</table></div>");
        for (int i = 0; i < versionSets.size(); i++) {
            List<String> parts = new ArrayList<>();
            versionSets.get(i).forEach((k, v) -> parts.add(k + " " + v));
            h.append("<p>V").append(i + 1).append(": <span class=\"mono\">").append(esc(String.join(", ", parts)))
                    .append("</span></p>");
        }
    }

    private static String label(CellResult c) {
        return c.architecture() + " " + c.method() + " fold " + c.fold() + " seed " + c.seed();
    }

    private static String esc(String s) {
        return HtmlPage.esc(s);
    }

    private static String num(double v) {
        return Numbers.three(v, "–");
    }

    private static String pm(double mean, double sd) {
        return Numbers.meanSd(mean, sd, "–");
    }

    private static String signed(Interval i) {
        return Numbers.signed(i, "–");
    }

    private static void pooledTable(StringBuilder h, List<StudyTables.PooledRow> rows) {
        List<String> names = List.copyOf(rows.get(0).recall().keySet());
        h.append("<table><tr><th>architecture</th><th>method</th><th>images</th><th>balanced accuracy</th>")
                .append("<th>macro-F1</th><th>accuracy</th>");
        names.forEach(c -> h.append("<th>recall ").append(esc(c)).append("</th>"));
        h.append("</tr>");
        for (StudyTables.PooledRow r : rows) {
            h.append("<tr><td>").append(esc(r.architecture())).append("</td><td>").append(esc(r.method()))
                    .append("</td><td>").append(r.images()).append("</td><td>").append(interval(r.balancedAccuracy()))
                    .append("</td><td>").append(interval(r.macroF1())).append("</td><td>").append(interval(r.accuracy()))
                    .append("</td>");
            r.recall().values().forEach(i -> h.append("<td>").append(interval(i)).append("</td>"));
            h.append("</tr>");
        }
        h.append("</table>");
    }

    private static String interval(Interval i) {
        return Numbers.withInterval(i, "–");
    }
}
