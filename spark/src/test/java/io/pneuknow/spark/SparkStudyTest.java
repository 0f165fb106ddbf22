package io.pneuknow.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.experiment.CellResult;
import io.pneuknow.experiment.StudyConfig;
import io.pneuknow.experiment.StudyRunner;
import io.pneuknow.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkStudyTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** The tiny study of the core's StudyRunnerTest at one engine thread per cell. */
    private static StudyConfig tinyStudy(Path dir, List<String> methods, List<Integer> testFolds, List<Long> seeds) {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 6, 2, 2, 0.25, 0.7, 4));
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion");
        TrainConfig train = TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(2).teacherEpochs(1)
                .kdEpochs(2).learningRate(1e-3f).augment("weak").seed(1).threads(1).studentEpochs(2).build();
        return new StudyConfig("tiny", spec, 3, 7, testFolds, List.of("tiny_cnn"), methods, seeds, train, 200);
    }

    private static JavaSparkContext spark(String master) {
        return new JavaSparkContext(new SparkConf().setMaster(master).setAppName("test").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "localhost").set("spark.task.cpus", "1"));
    }

    @Test
    void aStudyOnLocalSparkGivesTheTablesOfASingleMachineRun(@TempDir Path dir) throws Exception {
        StudyConfig config = tinyStudy(dir, List.of("baseline", "hkd"), null, List.of(1L));
        List<CellResult> single = StudyRunner.run(config, dir.resolve("single"), QUIET);
        assertThat(single).hasSize(6);

        SparkStudy.Outcome outcome;
        try (JavaSparkContext sc = spark("local[2]")) {
            outcome = SparkStudy.run(sc, config, dir.resolve("spark"), "1g", QUIET);
        }
        assertThat(outcome.complete()).isTrue();
        assertThat(outcome.trainedNow()).isEqualTo(6);
        // every cell's numbers and the tables are those of the single-machine run
        for (CellResult s : single) {
            Path cell = dir.resolve("spark/cells/tiny_cnn").resolve(s.method()).resolve("fold-" + s.fold())
                    .resolve("seed-" + s.seed()).resolve("cell.json");
            CellResult d = Json.MAPPER.readValue(cell.toFile(), CellResult.class);
            assertThat(d.valLoss()).containsExactlyElementsOf(s.valLoss());
            assertThat(d.test()).hasSameSizeAs(s.test());
            for (int i = 0; i < s.test().size(); i++) {
                assertThat(d.test().get(i).imageId()).isEqualTo(s.test().get(i).imageId());
                assertThat(d.test().get(i).probabilities()).containsExactly(s.test().get(i).probabilities());
            }
        }
        // everything but the wall time of the cells
        JsonNode a = withoutMinutes(Json.MAPPER.readTree(dir.resolve("single/summary.json").toFile()));
        JsonNode b = withoutMinutes(Json.MAPPER.readTree(dir.resolve("spark/summary.json").toFile()));
        assertThat(b).isEqualTo(a);
        assertThat(a.get("rows").get(0).has("minutesMean")).isFalse();
        assertThat(withoutLastColumn(Files.readString(dir.resolve("spark/summary.md"))))
                .isEqualTo(withoutLastColumn(Files.readString(dir.resolve("single/summary.md"))));
    }

    @Test
    void aFailingCellIsReportedPastTheRetryLimitAndRetriedWhereSparkAllowsIt(@TempDir Path dir) throws Exception {
        StudyConfig config = tinyStudy(dir, List.of("baseline"), List.of(0), List.of(1L, 2L));
        String failing = "tiny_cnn baseline fold 0 seed 2";
        System.setProperty(CellTask.FAIL_PROPERTY, failing);
        try {
            // local[2]: one attempt per task, so the failing cell is reported and the other one finishes
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            SparkStudy.Outcome first;
            try (JavaSparkContext sc = spark("local[2]")) {
                first = SparkStudy.run(sc, config, dir.resolve("study"), "1g", new PrintStream(log, true));
            }
            assertThat(first.complete()).isFalse();
            assertThat(first.failed()).singleElement().satisfies(f -> {
                assertThat(f.label()).isEqualTo(failing);
                assertThat(f.error()).contains("fault injected");
            });
            assertThat(log.toString()).contains("cell " + failing + ": failed after 1 attempts");
            Path done = dir.resolve("study/cells/tiny_cnn/baseline/fold-0/seed-1/cell.json");
            assertThat(done).exists();
            assertThat(dir.resolve("study/summary.json")).doesNotExist();
            FileTime before = Files.getLastModifiedTime(done);

            // local[2,2]: two attempts; the first fails, the retry trains the cell, the finished one is skipped
            SparkStudy.Outcome second;
            try (JavaSparkContext sc = spark("local[2,2]")) {
                second = SparkStudy.run(sc, config, dir.resolve("study"), "1g", QUIET);
            }
            assertThat(second.complete()).isTrue();
            assertThat(second.trainedNow()).isEqualTo(1);
            assertThat(Files.getLastModifiedTime(done)).isEqualTo(before);
            assertThat(dir.resolve("study/summary.json")).exists();
            assertThat(Files.readString(dir.resolve("study/summary.md"))).contains("| tiny_cnn | baseline | 2 |");
        } finally {
            System.clearProperty(CellTask.FAIL_PROPERTY);
        }
    }

    /** The summary without the rows' mean minutes per cell (wall time differs between runs). */
    private static JsonNode withoutMinutes(JsonNode summary) {
        for (JsonNode row : summary.get("rows")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) row).remove("minutesMean");
        }
        return summary;
    }

    /** Markdown without each line's last table cell (the per-model table ends with minutes per cell). */
    private static String withoutLastColumn(String markdown) {
        return markdown.replaceAll("(?m)\\| [0-9.]+ \\|$", "|");
    }
}
