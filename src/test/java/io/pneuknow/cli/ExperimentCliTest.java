package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.experiment.CellResult;
import io.pneuknow.experiment.StudyConfig;
import io.pneuknow.train.TrainConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code data synthetic}, then a study on the data's own fixed split through the command line. */
class ExperimentCliTest {
    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void syntheticDataThenAStudyOnItsFixedSplitWithTwoSeeds(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("synthetic");
        Result made = cli("data", "synthetic", "--out", data.toString(), "--train", "6", "--val", "2", "--test", "3",
                "--seed", "4");
        assertThat(made.code()).as(made.err()).isZero();
        // header + 3 classes x (6 + 2 + 3) images; test rows are the ones whose marker is random
        List<String> labels = Files.readAllLines(data.resolve("labels.csv"));
        assertThat(labels).hasSize(1 + 33);
        assertThat(labels.stream().filter(l -> l.contains(",test,")).count()).isEqualTo(9);

        Result again = cli("data", "synthetic", "--out", data.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("not an empty folder");

        TrainConfig train = TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(2).teacherEpochs(1)
                .kdEpochs(2).learningRate(1e-3f).augment("weak").seed(1).threads(2).build();
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion")
                .withSplitColumn("split");
        Path studyFile = dir.resolve("study.json");
        Json.MAPPER.writeValue(studyFile.toFile(), new StudyConfig("fixed split", spec, 0, 0, null, List.of("tiny_cnn"),
                List.of("baseline"), List.of(1L, 2L), train, 100));
        Path study = dir.resolve("study");
        Result ran = cli("experiment", "--config", studyFile.toString(), "--out", study.toString());
        assertThat(ran.code()).as(ran.err()).isZero();

        // one cell per seed, each tested on exactly the 9 images of the data's test part
        for (long seed : List.of(1L, 2L)) {
            CellResult cell = Json.MAPPER.readValue(
                    study.resolve("cells/tiny_cnn/baseline/fold-0/seed-" + seed + "/cell.json").toFile(), CellResult.class);
            assertThat(cell.test()).hasSize(9);
        }
        assertThat(study.resolve("cells/tiny_cnn/baseline/fold-1")).doesNotExist();
        assertThat(Files.readString(study.resolve("summary.md"))).contains("| tiny_cnn | baseline | 2 |");
    }
}
