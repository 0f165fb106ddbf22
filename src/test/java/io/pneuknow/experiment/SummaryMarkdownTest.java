package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.Json;
import io.pneuknow.evaluate.Interval;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The renderers of {@link StudyTables}: hand-made tables (two models, one comparison with and one without a
 * localisation difference, a pooled row with a missing figure) written as summary.md and learning-curves.csv,
 * checked line by line; and summary.json's top-level keys, which the study fingerprint depends on.
 */
class SummaryMarkdownTest {
    private static final Interval NONE = null;

    private static Interval interval(double estimate, double lower, double upper) {
        return new Interval(estimate, lower, upper, 200, 200);
    }

    private static StudyTables tables() {
        List<StudyTables.Row> rows = List.of(
                new StudyTables.Row("tiny_cnn", "baseline", 3, 0.5, 0.1, 0.45, 0.05, 0.4, 0.02, Double.NaN, Double.NaN,
                        Double.NaN, Double.NaN, 1.26),
                new StudyTables.Row("tiny_cnn", "hkd", 3, 0.7, 0.2, 0.65, 0.15, 0.6, 0.1, 0.9, 0.05, 0.8, 0.04, 2.04));
        List<StudyTables.Comparison> comparisons = List.of(
                new StudyTables.Comparison("tiny_cnn", "hkd", "baseline", 30, 0.45, 0.65, interval(0.2, 0.05, 0.35),
                        interval(-0.1, -0.25, 0.05), 12, interval(0.012, -0.003, 0.027)),
                new StudyTables.Comparison("tiny_cnn", "hkd-raw-teacher", "baseline", 30, 0.45, 0.5, interval(0.05, -0.1, 0.2),
                        interval(0.0, -0.15, 0.15), 0, NONE));
        Map<String, Map<String, Double>> f1 = new LinkedHashMap<>();
        f1.put("tiny_cnn baseline", new LinkedHashMap<>(Map.of("cavity", 0.5)));
        f1.get("tiny_cnn baseline").put("opacity", 0.25);
        Map<String, List<Double>> valLoss = new LinkedHashMap<>();
        valLoss.put("tiny_cnn baseline", List.of(0.9, 0.7));
        valLoss.put("tiny_cnn hkd", List.of(1.5));
        Map<String, Interval> recall = new LinkedHashMap<>();
        recall.put("cavity", interval(0.9, 0.8, 1.0));
        recall.put("opacity", NONE);
        List<StudyTables.PooledRow> pooled = List.of(new StudyTables.PooledRow("tiny_cnn", "hkd", 30,
                interval(0.6, 0.5, 0.7), interval(Double.NaN, Double.NaN, Double.NaN), interval(0.65, 0.55, 0.75), recall));
        return new StudyTables(rows, comparisons, f1, valLoss, List.of(), List.of(), pooled, List.of());
    }

    @Test
    void aModelOfOneCellShowsItsMeanWithoutAStandardDeviation() {
        StudyTables one = new StudyTables(List.of(new StudyTables.Row("resnet18_half", "baseline", 1, 0.761, Double.NaN,
                0.7605, Double.NaN, 0.75, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 1.2)), List.of(),
                new LinkedHashMap<>(), new LinkedHashMap<>(), List.of(), List.of(), List.of(), List.of());
        assertThat(SummaryMarkdown.of(one).lines().toList())
                .contains("| resnet18_half | baseline | 1 | 0.761 | 0.761 | 0.750 | – | – | 1.2 |")
                .noneMatch(line -> line.contains("NaN"));
    }

    @Test
    void theMarkdownHasOneLinePerModelComparisonAndPooledRowWithDashesForMissingFigures() {
        List<String> lines = SummaryMarkdown.of(tables()).lines().toList();
        assertThat(lines).contains(
                "| tiny_cnn | baseline | 3 | 0.500 ± 0.100 | 0.450 ± 0.050 | 0.400 ± 0.020 | – | – | 1.3 |",
                "| tiny_cnn | hkd | 3 | 0.700 ± 0.200 | 0.650 ± 0.150 | 0.600 ± 0.100 | 0.900 ± 0.050 | 0.800 ± 0.040 | 2.0 |",
                "| tiny_cnn | hkd | baseline | 30 | 0.450 → 0.650 | +0.200 (+0.050, +0.350) | -0.100 (-0.250, +0.050)"
                        + " | +0.012 (-0.003, +0.027) (12) |",
                "| tiny_cnn | hkd-raw-teacher | baseline | 30 | 0.450 → 0.500 | +0.050 (-0.100, +0.200) | +0.000 (-0.150, +0.150)"
                        + " | – |",
                "| architecture | method | images | balanced accuracy | macro-F1 | accuracy | recall cavity | recall opacity |",
                "| tiny_cnn | hkd | 30 | 0.600 (0.500, 0.700) | – | 0.650 (0.550, 0.750) | 0.900 (0.800, 1.000) | – |",
                "| model | cavity | opacity |",
                "| tiny_cnn baseline | 0.500 | 0.250 |");
        assertThat(lines.get(0)).isEqualTo("# Study summary");
        // sections without rows are left out
        assertThat(lines).doesNotContain("## Moved to the training prior", "## Annotation-fraction curve")
                .noneMatch(l -> l.startsWith("## Localisation"));
    }

    @Test
    void theLearningCurvesAreOneCsvLinePerModelAndEpochFromZero() {
        assertThat(LearningCurvesCsv.of(tables())).isEqualTo("""
                model,epoch,mean_val_loss
                tiny_cnn baseline,0,0.9
                tiny_cnn baseline,1,0.7
                tiny_cnn hkd,0,1.5
                """);
    }

    @Test
    void summaryJsonHasTheTablesComponentsAsItsKeysAndNothingElse() throws Exception {
        List<String> keys = new ArrayList<>();
        Json.MAPPER.valueToTree(tables()).fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("rows", "comparisons", "perClassF1", "meanValLoss", "localisation",
                "annotationFraction", "pooled", "priorShifted");
        StudyTables back = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(tables()), StudyTables.class);
        assertThat(back.comparisons().get(0).energyDifference().lower()).isEqualTo(-0.003);
        assertThat(SummaryMarkdown.of(back)).isEqualTo(SummaryMarkdown.of(tables()));
    }
}
