package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.Json;
import io.pneuknow.evaluate.ClassLocalisation;
import io.pneuknow.evaluate.ClassOperatingPoints;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.Localisation;
import io.pneuknow.evaluate.MetricIntervals;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.PatientAggregation;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.evaluate.TemperatureScaling;
import io.pneuknow.model.ModelCard;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.report.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a new user reads in report.html: tables with named columns, no Java toString, no empty sections, labelled axes. */
class EvaluationReportTest {
    private static final List<String> LABELS = List.of("cavity", "healthy", "opacity");

    @TempDir
    Path dir;

    private static ModelCard card() {
        return new ModelCard(ModelCard.FORMAT, "01f66021cbb8", "model.params", "0".repeat(64), LABELS, "tiny_cnn", 1, 0f,
                Preprocessor.defaults(64, 1), "hkd", null, null, 1, "4e3d", Map.of("pneuknow", "dev", "djl", "0.36.0"),
                null, ModelCard.INTENDED_USE, "synthetic chest-like images", "", "", null);
    }

    /** 60 images, 20 per class, overconfident: two thirds right with p 0.999, the rest wrong with p 0.999. */
    private static List<Prediction> predictions() {
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int truth = i % 3;
            int predicted = i % 9 < 6 ? truth : (truth + 1) % 3;
            double[] p = {0.0005, 0.0005, 0.0005};
            p[predicted] = 0.999;
            out.add(new Prediction("img" + i, "patient" + i / 2, truth, p));
        }
        return out;
    }

    private static Interval interval(double estimate) {
        return new Interval(estimate, estimate * 0.9 - 0.00123456, estimate * 1.1 + 0.00987654321, 100, 100);
    }

    private String html(Map<String, ClassOperatingPoints> operatingPoints) throws Exception {
        return html(operatingPoints, null);
    }

    private String html(Map<String, ClassOperatingPoints> operatingPoints, TemperatureScaling.Calibration calibration)
            throws Exception {
        List<Prediction> predictions = predictions();
        MetricIntervals metrics = MetricIntervals.of(predictions, LABELS, 50, 1);
        MetricSet perPatient = Metrics.of(PatientAggregation.meanProbabilities(predictions), LABELS);
        Map<String, ClassLocalisation> perClass = new LinkedHashMap<>();
        perClass.put("cavity", new ClassLocalisation.Scored(12, interval(0.0250293), interval(0), interval(0.0247),
                interval(0.0357575)));
        perClass.put("opacity", new ClassLocalisation.TooFew("too few annotated images (3 < 10)"));
        Localisation localisation = new Localisation(15, "grad-cam of the true class at "
                + "the last feature map", 0, interval(0.024), interval(0), interval(0.024), interval(0.04), perClass,
                List.of(), List.of("syn_00305: the heat map is all zero: energy is undefined"));
        return EvaluationReport.html(card(), "test", metrics, perPatient, Map.of(), operatingPoints, localisation,
                calibration, dir);
    }

    /**
     * Operating points as the evaluate command chooses them on a validation part where every image
     * outside cavity scores 0.0005 for cavity (a degenerate threshold), healthy's negatives spread
     * (an ordinary one) and opacity is absent (none).
     */
    private static Map<String, ClassOperatingPoints> operatingPoints() {
        List<Prediction> validation = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            double healthy = 0.01 * (i + 1);
            validation.add(new Prediction("val-c" + i, "val-c" + i, 0, 0.9999 - healthy, healthy, 0.0001));
            validation.add(new Prediction("val-h" + i, "val-h" + i, 1, 0.0005, 0.999, 0.0005));
        }
        return ClassOperatingPoints.choose(validation, predictions(), LABELS, 0.9, 50, 1);
    }

    /** The page as a reader sees it: without style, script, tags and the embedded images. */
    private static String visibleText(String html) {
        return html.replaceAll("(?s)<style>.*?</style>", " ").replaceAll("(?s)<script>.*?</script>", " ")
                .replaceAll("(?s)<title>.*?</title>", " ").replaceAll("(?s)<[^>]*>", " ").replace("&amp;", "&")
                .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'");
    }

    @Test
    void noJavaToStringOfRecordsListsOrMaps() throws Exception {
        String text = visibleText(html(operatingPoints()));

        assertThat(text).doesNotContain("Record[", "Interval[", "[", "]", "{", "}");
        assertThat(text).doesNotContainPattern("[A-Za-z]+=\\S"); // name=value, as a record or map prints
        assertThat(text).doesNotContainPattern("@[0-9a-f]{4,}"); // Object.toString's hash
        assertThat(text).doesNotContainPattern("\\d\\.\\d{5,}"); // unformatted doubles
    }

    @Test
    void perClassLocalisationIsATableWithNamedColumns() throws Exception {
        String html = html(operatingPoints());

        Matcher table = Pattern.compile("(?s)<table[^>]*>(?:(?!</table>).)*energy pointing game(?:(?!</table>).)*"
                + "</table>").matcher(html);
        List<String> tables = new ArrayList<>();
        while (table.find()) {
            tables.add(table.group());
        }
        String perClass = tables.stream().filter(t -> t.contains("<td>cavity</td>")).findFirst().orElse("");
        assertThat(perClass).as("a table with a row per class").contains("<th>class</th>", "<th>images</th>",
                "<th>energy pointing game</th>", "<th>pointing-game hit rate</th>", "<th>AUPRC</th>");
        assertThat(visibleText(perClass)).contains("cavity", "12", "0.025", "0.021", "0.037", "opacity",
                "too few annotated images (3 < 10)");
    }

    @Test
    void noEmptySectionHeadings() throws Exception {
        String html = html(operatingPoints());

        assertThat(html).doesNotContainPattern("</h[1-3]>\\s*(<h[1-3][ >]|<p id=\"render-check\"|</body>)");
        if (html.contains(">Subgroups</h2>")) {
            assertThat(visibleText(html)).contains("--subgroups");
        }
    }

    @Test
    void reliabilityDiagramHasTickLabelsOnBothAxes() throws Exception {
        String html = html(operatingPoints());

        Matcher svg = Pattern.compile("(?s)<svg class=\"chart reliability\".*?</svg>").matcher(html);
        assertThat(svg.find()).as("a reliability diagram").isTrue();
        String chart = svg.group();
        for (String tick : List.of("0.0", "0.2", "0.4", "0.6", "0.8", "1.0")) {
            assertThat(chart.split(">" + Pattern.quote(tick) + "</text>", -1)).as(tick + " on both axes").hasSize(3);
        }
        assertThat(visibleText(chart)).contains("observed accuracy", "predicted confidence");
    }

    @Test
    void degenerateAndRefusedThresholdsAreExplained() throws Exception {
        String html = html(operatingPoints());

        String cavity = row(html, "cavity", "Operating points");
        assertThat(cavity).doesNotContain(">0.000<");
        assertThat(visibleText(cavity)).contains("< 0.001", "at almost any threshold");
        assertThat(visibleText(row(html, "healthy", "Operating points"))).contains("0.140").doesNotContain("any threshold");
        assertThat(visibleText(row(html, "opacity", "Operating points")))
                .contains("no threshold: the validation part has no images of class opacity");
        var cavityPoint = Json.MAPPER.valueToTree(operatingPoints().get("cavity")); // as in evaluation.json
        assertThat(cavityPoint.get("thresholdForSpecificity").asDouble()).isEqualTo(0.0005);
        assertThat(cavityPoint.get("thresholdNote").asText()).contains("at almost any threshold");
    }

    @Test
    void aRefusedTemperatureIsSaidInTheReportAndTheJson() throws Exception {
        double[][] logits = new double[40][];
        int[] labels = new int[40];
        for (int i = 0; i < logits.length; i++) {
            labels[i] = i % 3;
            logits[i] = new double[3];
            logits[i][labels[i]] = 30;
        }
        TemperatureScaling.Calibration refused = TemperatureScaling.calibrate(logits, labels);

        assertThat(visibleText(html(operatingPoints(), refused))).contains("Temperature scaling not applied",
                "probabilities left uncalibrated (temperature 1) because all 40 validation images are classified "
                + "correctly");
        var json = Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(refused)); // as evaluation.json's "calibration"
        assertThat(json.get("temperature").asDouble()).isEqualTo(1.0);
        assertThat(json.get("validationImages").asInt()).isEqualTo(40);
        assertThat(json.get("notApplied").asText()).startsWith("all 40 validation images are classified correctly");
        assertThat(visibleText(html(operatingPoints(), new TemperatureScaling.Calibration(1.7, 1.7, 40, null))))
                .contains("Temperature scaling: logits divided by 1.700, fitted on 40 validation images.")
                .doesNotContain("not applied");
        assertThat(visibleText(html(operatingPoints()))).contains("no temperature scaling;", "--calibrate");
    }

    @Test
    @Tag("heavy")
    void rendersInHeadlessChromium() throws Exception {
        Path chromium = HeadlessChromium.binary();
        Path page = Files.writeString(dir.resolve("report.html"), html(operatingPoints()));

        HeadlessChromium.RenderCheck check = HeadlessChromium.renderCheck(
                HeadlessChromium.dumpDom(chromium, page, dir.resolve("chromium"), Duration.ofSeconds(45)));

        assertThat(check.done()).isTrue();
        assertThat(check.plots()).isEqualTo(1);
        assertThat(check.plotsRendered()).isEqualTo(1);
        assertThat(check.failed()).isEmpty();
    }

    /** The table row for a class after the heading that starts with {@code section}. */
    private static String row(String html, String cls, String section) {
        int from = html.indexOf(section);
        assertThat(from).as(section).isPositive();
        int start = html.indexOf("<tr><td>" + cls + "</td>", from);
        assertThat(start).as(cls + " in " + section).isPositive();
        return html.substring(start, html.indexOf("</tr>", start));
    }
}
