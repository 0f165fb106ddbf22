package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pair shares its draw: a baseline and an HKD student of the same seed start from the same
 * weights and see the same batch order, dropout draws and augmented images, so that without the
 * feature term (alpha0 0, where the student's loss is the classification term alone) they end with
 * bitwise the same weights; the teacher has a draw of its own.
 */
class PairedDrawTest {
    private static final Pattern INITIAL = Pattern.compile("initial weights of draw (\\d+) \\([^)]*\\): sha256 ([0-9a-f]{64})");

    @TempDir
    static Path dir;
    static Dataset dataset;
    static TrainRun.Parts parts;

    @BeforeAll
    static void data() throws Exception {
        // asymmetric: three classes, more training than validation images, some unannotated
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 6, 2, 2, 0.3, 0.7, 11));
        dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion"));
        Split split = Split.fromColumn(dataset, "split");
        parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                split.samples(dataset, Split.TEST));
    }

    /** Two epochs of tiny_cnn with dropout and weak augmentation; HKD's feature term over both epochs. */
    private static TrainConfig config(String method, float alpha0, long seed) {
        return TrainConfig.shortcutTask(method, "roi", seed, 2).toBuilder().epochs(2).teacherEpochs(1).kdEpochs(2)
                .alpha0(alpha0).dropout(0.5f).batchSize(4).build();
    }

    private record Trained(TrainRun.Outcome outcome, Map<Integer, String> initialWeights, Path out) {
    }

    private static Trained train(TrainConfig config, String name) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path out = dir.resolve(name);
        TrainRun.Outcome outcome = new TrainRun(config, new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(dataset, parts, new TrainRun.Provenance(null, "synthetic", "synthetic", "test"), out, false);
        Map<Integer, String> initial = new LinkedHashMap<>();
        Matcher m = INITIAL.matcher(log.toString(StandardCharsets.UTF_8));
        while (m.find()) {
            assertThat(initial.put(Integer.parseInt(m.group(1)), m.group(2))).as("one stage per draw").isNull();
        }
        return new Trained(outcome, initial, out);
    }

    /** The history's training loss and validation loss per epoch (the columns that do not measure time). */
    private static List<String> losses(Path history) throws Exception {
        List<String> lines = Files.readAllLines(history);
        List<String> header = List.of(lines.get(0).split(","));
        int trainLoss = header.indexOf("train_loss");
        int valLoss = header.indexOf("val_loss");
        assertThat(trainLoss).as(lines.get(0)).isNotNegative();
        assertThat(valLoss).as(lines.get(0)).isNotNegative();
        return lines.subList(1, lines.size()).stream().map(l -> l.split(","))
                .map(f -> f[trainLoss] + " " + f[valLoss]).toList();
    }

    @Test
    void withoutTheFeatureTermTheStudentEndsWithTheBaselinesWeightsBitwise() throws Exception {
        Trained baseline = train(config("baseline", 0.5f, 5), "baseline");
        Trained student = train(config("hkd", 0f, 5), "hkd-alpha0");

        assertThat(baseline.initialWeights()).containsOnlyKeys(StageTrainer.FINAL_STAGE_DRAW);
        assertThat(student.initialWeights()).containsOnlyKeys(StageTrainer.TEACHER_DRAW, StageTrainer.FINAL_STAGE_DRAW);
        assertThat(student.initialWeights().get(StageTrainer.FINAL_STAGE_DRAW))
                .isEqualTo(baseline.initialWeights().get(StageTrainer.FINAL_STAGE_DRAW));
        // the teacher starts elsewhere
        assertThat(student.initialWeights().get(StageTrainer.TEACHER_DRAW))
                .isNotEqualTo(student.initialWeights().get(StageTrainer.FINAL_STAGE_DRAW));

        // same batches, dropout and augmentation: the same losses epoch by epoch and the same kept weights
        assertThat(losses(student.out().resolve("history-student.csv")))
                .hasSize(2).isEqualTo(losses(baseline.out().resolve("history-baseline.csv")));
        assertThat(student.outcome().model().weightsSha256()).isEqualTo(baseline.outcome().model().weightsSha256());
        assertThat(Files.readAllBytes(student.out().resolve("model.params")))
                .isEqualTo(Files.readAllBytes(baseline.out().resolve("model.params")));
        assertThat(student.outcome().testAccuracy()).isEqualTo(baseline.outcome().testAccuracy());
        // and the teacher was trained (a stage of its own), not skipped
        assertThat(student.outcome().teacher().weightsSha256())
                .isNotEqualTo(student.outcome().model().weightsSha256());
    }

    @Test
    void theDistilledStudentStartsFromTheBaselinesWeightsAndEndsElsewhere() throws Exception {
        Trained baseline = train(config("baseline", 0.5f, 8), "baseline8");
        Trained student = train(config("hkd", 0.5f, 8), "hkd8");
        Trained otherSeed = train(config("baseline", 0.5f, 9), "baseline9");

        assertThat(student.initialWeights().get(StageTrainer.FINAL_STAGE_DRAW))
                .isEqualTo(baseline.initialWeights().get(StageTrainer.FINAL_STAGE_DRAW));
        assertThat(otherSeed.initialWeights().get(StageTrainer.FINAL_STAGE_DRAW))
                .isNotEqualTo(baseline.initialWeights().get(StageTrainer.FINAL_STAGE_DRAW));
        // the feature term is what moves the student away from the baseline
        assertThat(student.outcome().model().weightsSha256()).isNotEqualTo(baseline.outcome().model().weightsSha256());
    }
}
