package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training without validation images is refused unless asked for; when asked for, the log says which epoch is kept. */
class NoValidationTest {
    @Test
    void anEmptyValidationPartIsRefusedUnlessAllowed(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 4, 1, 1, 0.25, 0.7, 3));
        Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")));
        Split split = Split.fromColumn(dataset, "split");
        TrainRun.Parts noVal = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), List.of(),
                split.samples(dataset, Split.TEST));
        TrainConfig config = TrainConfig.shortcutTask("baseline", "roi", 1, 2).with("baseline", "roi", "tiny_cnn", 1, 1.0, 1.0);
        config = config.toBuilder().epochs(2).teacherEpochs(1).kdEpochs(1).build();
        TrainRun.Provenance provenance = new TrainRun.Provenance(null, "synthetic", "synthetic", "test");
        assertThat(config.allowNoValidation()).isFalse();

        TrainConfig refusing = config;
        BadInputException error = catchThrowableOfType(BadInputException.class, () -> new TrainRun(refusing, quiet())
                .run(dataset, noVal, provenance, dir.resolve("refused"), false));
        assertThat(error.getMessage()).contains("no validation images", "--allow-no-validation", "allowNoValidation")
                .doesNotContain("\n");
        assertThat(dir.resolve("refused/model.json")).doesNotExist();

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainRun.Outcome outcome = new TrainRun(config.toBuilder().allowNoValidation(true).build(), new PrintStream(log, true,
                StandardCharsets.UTF_8)).run(dataset, noVal, provenance, dir.resolve("allowed"), false);
        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(outcome.model().checkpoint().epoch()).isEqualTo(1);
        assertThat(text).contains("kept epoch: the last (no validation images)")
                .contains("baseline: no validation images (allowed): the last epoch trained is kept")
                .doesNotContain("NaN");
    }

    private static PrintStream quiet() {
        return new PrintStream(java.io.OutputStream.nullOutputStream());
    }
}
