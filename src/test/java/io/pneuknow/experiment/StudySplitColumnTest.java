package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A study's split column: part synonyms become the validation part; a split without validation images is refused. */
class StudySplitColumnTest {
    @Test
    void aValidationColumnGivesTheCellsTheirValidationImages(@TempDir Path dir) throws Exception {
        Path data = synthetic(dir, "Validation");
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withSplitColumn("split");
        StudyConfig config = new StudyConfig("validation", spec, 3, 7, null, List.of("tiny_cnn"), List.of("baseline"),
                List.of(1L), TrainConfig.shortcutTask("baseline", "roi", 1, 2), 100);
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        StudyRunner.plan(config, dir.resolve("study"), new PrintStream(log, true, StandardCharsets.UTF_8));

        Dataset dataset = DatasetLoader.load(spec);
        Split folds = SplitCsv.read(dir.resolve("study/folds.csv"), dataset);
        assertThat(folds.parts()).containsExactly("train", "val", "test");
        assertThat(folds.samples(dataset, Split.VAL)).hasSize(3);
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("Validation");
    }

    @Test
    void aSplitWithoutValidationImagesIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        Path data = synthetic(dir, "train");
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withSplitColumn("split");
        StudyConfig config = new StudyConfig("no validation", spec, 3, 7, null, List.of("tiny_cnn"), List.of("baseline"),
                List.of(1L), TrainConfig.shortcutTask("baseline", "roi", 1, 2), 100);

        BadInputException error = catchThrowableOfType(BadInputException.class, () -> StudyRunner.run(config,
                dir.resolve("study"), new PrintStream(OutputStream.nullOutputStream())));

        assertThat(error.getMessage()).contains("no validation images", "allowNoValidation");
        assertThat(dir.resolve("study/cells/tiny_cnn/baseline/fold-0/seed-1/model.json")).doesNotExist();
    }

    /** The synthetic set (one image per class in val) with its split column's "val" written as {@code valName}. */
    private static Path synthetic(Path dir, String valName) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 3, 1, 1, 0.25, 0.7, 3));
        Path labels = data.resolve("labels.csv");
        Files.writeString(labels, Files.readString(labels).replace(",val,", "," + valName + ","));
        return data;
    }
}
