package io.pneuknow.evaluate;

import static io.pneuknow.evaluate.Fixtures.ABC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupingAndCsvTest {
    @Test
    void patientMeanAveragesProbabilitiesAndTakesTheMajorityClass() {
        List<Prediction> images = List.of(
                new Prediction("1", "p", 1, new double[] {0.2, 0.8}, Map.of("sex", "F")),
                new Prediction("2", "q", 0, 0.9, 0.1),
                new Prediction("3", "p", 1, 0.6, 0.4),
                new Prediction("4", "p", 0, 0.4, 0.6));

        List<Prediction> patients = PatientAggregation.meanProbabilities(images);

        assertThat(patients).extracting(Prediction::imageId).containsExactly("p", "q");
        Prediction p = patients.get(0);
        assertThat(p.patientId()).isEqualTo("p");
        assertThat(p.trueClass()).isEqualTo(1);
        assertThat(p.probabilities()).containsExactly(new double[] {0.4, 0.6}, within(1e-12));
        assertThat(p.attributes()).containsEntry("sex", "F");
        assertThat(patients.get(1).trueClass()).isZero();
    }

    @Test
    void subgroupsPartitionThePredictions() {
        String[] ages = {"35", "45", "063Y", "85", "", null, "abc", "59.5"};
        String[] sexes = {"F", "M", "F", "M", "F", null, "M", "F"};
        List<Prediction> predictions = new ArrayList<>();
        List<Prediction> eight = Fixtures.eightImages();
        for (int i = 0; i < eight.size(); i++) {
            Map<String, String> attributes = new HashMap<>();
            if (ages[i] != null) {
                attributes.put("age", ages[i]);
            }
            if (sexes[i] != null) {
                attributes.put("sex", sexes[i]);
            }
            Prediction p = eight.get(i);
            predictions.add(new Prediction(p.imageId(), p.patientId(), p.trueClass(), p.probabilities(), attributes));
        }

        Map<String, MetricSet> bySex = Subgroups.by(predictions, "sex", ABC);
        Map<String, MetricSet> byAge = Subgroups.by(predictions, "age", ABC, Subgroups::ageBand);

        assertThat(bySex.keySet()).containsExactly("F", "M", "(missing)");
        assertThat(bySex.values().stream().mapToInt(MetricSet::images).sum()).isEqualTo(8);
        // F = images 1, 3, 5, 8: true A A B C, pred A B B B -> 2 of 4 right
        assertThat(bySex.get("F").accuracy()).isCloseTo(0.5, within(1e-12));
        assertThat(byAge.keySet()).containsExactly("<40", "40-59", "60-79", ">=80", "(missing)");
        assertThat(byAge.get("40-59").images()).isEqualTo(2);
        assertThat(byAge.get("(missing)").images()).isEqualTo(3);
        List<String> imageIds = Subgroups.split(predictions, "age", Subgroups::ageBand).values().stream()
                .flatMap(List::stream).map(Prediction::imageId).sorted().toList();
        assertThat(imageIds).isEqualTo(eight.stream().map(Prediction::imageId).sorted().toList());
    }

    @Test
    void ageBands() {
        assertThat(Subgroups.ageBand("39.9")).isEqualTo("<40");
        assertThat(Subgroups.ageBand("40")).isEqualTo("40-59");
        assertThat(Subgroups.ageBand(" 79 ")).isEqualTo("60-79");
        assertThat(Subgroups.ageBand("080Y")).isEqualTo(">=80");
        assertThat(Subgroups.ageBand("-1")).isEqualTo("(missing)");
        assertThat(Subgroups.ageBand("NaN")).isEqualTo("(missing)");
        assertThat(Subgroups.ageBand(null)).isEqualTo("(missing)");
    }

    @Test
    void writesPredictionAndMetricCsvFiles(@TempDir Path dir) throws IOException {
        List<Prediction> predictions = List.of(Fixtures.confident("a,1", 0, 1, 3), Fixtures.confident("b", 2, 2, 3));
        Path predictionsCsv = dir.resolve("out/predictions.csv");
        Path metricsCsv = dir.resolve("out/metrics.csv");

        EvaluationCsv.writePredictions(predictionsCsv, predictions, ABC);
        EvaluationCsv.writeMetrics(metricsCsv, MetricIntervals.of(predictions, ABC, 0, 1));

        assertThat(Files.readAllLines(predictionsCsv)).containsExactly(
                "image_id,patient_id,true,predicted,p_A,p_B,p_C",
                "\"a,1\",\"patient-a,1\",A,B,0.1,0.8,0.1",
                "b,patient-b,C,C,0.1,0.1,0.8");
        List<String> metrics = Files.readAllLines(metricsCsv);
        assertThat(metrics).hasSize(1 + 7 + 5 * 3);
        assertThat(metrics.get(0)).isEqualTo("metric,class,estimate,lower,upper,note");
        assertThat(metrics).contains("accuracy,,0.5,NaN,NaN,", "recall,B,NaN,NaN,NaN,no positive images of class B");
        assertThat(metrics.stream().filter(line -> line.startsWith("balanced_accuracy,")).findFirst().orElseThrow())
                .isEqualTo("balanced_accuracy,,0.5,NaN,NaN,mean over 2 of 3 classes; skipped B (no positive images of class B)");
    }

    @Test
    void metricSetIsJacksonFriendly() throws IOException {
        MetricSet m = Metrics.of(Fixtures.eightImages(), ABC);
        String json = Json.MAPPER.writeValueAsString(m);

        MetricSet back = Json.MAPPER.readValue(json, MetricSet.class);

        assertThat(back.accuracy()).isEqualTo(m.accuracy());
        assertThat(back.confusion()).isDeepEqualTo(m.confusion());
        assertThat(back.classes()).isEqualTo(m.classes());
        assertThat(json).contains("\"macroAuc\"");
    }
}
