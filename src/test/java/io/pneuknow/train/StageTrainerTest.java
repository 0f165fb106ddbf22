package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.transform.AugmentPreset;
import io.pneuknow.transform.PairedAugmenter;
import io.pneuknow.transform.Preprocessor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageTrainerTest {
    static final int SIZE = 64;

    static TrainConfig config() {
        return TrainConfig.builder().method("hkd").architecture("tiny_cnn").inputSize(SIZE).epochs(1).teacherEpochs(1)
                .kdEpochs(1).learningRate(1e-3f).batchSize(4).augment("weak").seed(3).threads(2).build();
    }

    static List<PreparedSample> samples(int n, boolean withRoi) {
        Random random = new Random(11);
        List<PreparedSample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] px = new float[SIZE * SIZE];
            float[] mask = new float[SIZE * SIZE];
            for (int k = 0; k < px.length; k++) {
                px[k] = random.nextFloat();
                mask[k] = (k % SIZE) < SIZE / 2 ? 1 : 0;
            }
            Sample s = new Sample("s" + i, Path.of("s" + i + ".png"), "c" + (i % 2), i % 2, "p" + i, List.of(), Map.of());
            out.add(new PreparedSample(i, s, new GreyImage(SIZE, SIZE, px), withRoi ? new GreyImage(SIZE, SIZE, mask) : null));
        }
        return out;
    }

    static Map<String, float[]> snapshot(ClassifierNet net) {
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : net.getParameters()) {
            values.put(p.getKey(), p.getValue().getArray().toFloatArray());
        }
        return values;
    }

    @Test
    void aStudentEpochLeavesTheFrozenTeacherAndItsBatchNormStatisticsUnchanged(@TempDir Path dir) throws Exception {
        TrainConfig config = config();
        Preprocessor pre = Preprocessor.defaults(SIZE, 1);
        try (NDManager manager = NDManager.newBaseManager();
             BatchLoader loader = new BatchLoader(new PairedAugmenter(AugmentPreset.WEAK), pre, 3, 1)) {
            ClassifierNet teacher = Architectures.initialize(Architecture.fromCliName("tiny_cnn").build(2, 1, 0.5f), manager, SIZE);
            ClassifierNet student = Architectures.initialize(Architecture.fromCliName("tiny_cnn").build(2, 1, 0.5f), manager, SIZE);
            Map<String, float[]> teacherBefore = snapshot(teacher);
            Map<String, float[]> studentBefore = snapshot(student);
            List<BatchLoader.Item> items = samples(8, true).stream().map(s -> new BatchLoader.Item(s, s)).toList();
            StageTrainer trainer = new StageTrainer(config, loader, null, new PrintStream(OutputStream.nullOutputStream()));
            StageTrainer.Stage stage = new StageTrainer.Stage("student", StageTrainer.FINAL_STAGE_DRAW, StageTrainer.Input.RAW, 1, items, items,
                    new StageTrainer.Teacher(teacher, StageTrainer.Input.ROI, 0.5f, 1));
            StageTrainer.Result result = trainer.run(stage, student, manager, dir, false);

            assertThat(result.history().get(0).trainFeatureMse()).isPositive();
            Map<String, float[]> teacherAfter = snapshot(teacher);
            teacherBefore.forEach((name, values) -> assertThat(teacherAfter.get(name)).as(name).containsExactly(values));
            Map<String, float[]> studentAfter = snapshot(student);
            long changed = studentBefore.keySet().stream()
                    .filter(name -> !java.util.Arrays.equals(studentBefore.get(name), studentAfter.get(name))).count();
            // every weight, bias and BatchNorm statistic of the student moved
            assertThat(changed).isEqualTo(studentBefore.size());
        }
    }

    @Test
    void samplesWithoutRoiGetZeroWeightAndABlackTeacherView() {
        Preprocessor pre = Preprocessor.defaults(SIZE, 1);
        try (BatchLoader loader = new BatchLoader(new PairedAugmenter(AugmentPreset.NONE), pre, 3, 1)) {
            List<PreparedSample> with = samples(2, true);
            List<PreparedSample> without = samples(2, false);
            BatchLoader.HostBatch batch = loader.build(List.of(new BatchLoader.Item(with.get(0), with.get(0)),
                    new BatchLoader.Item(without.get(1), without.get(1))), 0, false, true, true);
            assertThat(batch.roiWeights()).containsExactly(1f, 0f);
            int per = SIZE * SIZE;
            float black = (0f - pre.mean()[0]) / pre.std()[0];
            // sample 0: the left half keeps the image, the right half is black
            float[] image = with.get(0).image().pixels();
            assertThat(batch.roi()[5]).isEqualTo((image[5] - pre.mean()[0]) / pre.std()[0]);
            assertThat(batch.roi()[SIZE - 1]).isEqualTo(black);
            // sample 1: no ROI, all black
            for (int k = per; k < 2 * per; k++) {
                assertThat(batch.roi()[k]).isEqualTo(black);
            }
            // the raw view is the whole image
            assertThat(batch.raw()[SIZE - 1]).isEqualTo((image[SIZE - 1] - pre.mean()[0]) / pre.std()[0]);
        }
    }

    @Test
    void shuffledControlShowsThisImageInsideThePartnersRegion() {
        Preprocessor pre = Preprocessor.defaults(SIZE, 1);
        try (BatchLoader loader = new BatchLoader(new PairedAugmenter(AugmentPreset.NONE), pre, 3, 1)) {
            List<PreparedSample> with = samples(2, true);
            float[] rightHalf = new float[SIZE * SIZE];
            for (int k = 0; k < rightHalf.length; k++) {
                rightHalf[k] = (k % SIZE) >= SIZE / 2 ? 1 : 0;
            }
            PreparedSample partner = new PreparedSample(1, with.get(1).sample(), with.get(1).image(),
                    new GreyImage(SIZE, SIZE, rightHalf));
            BatchLoader.HostBatch batch = loader.build(List.of(new BatchLoader.Item(with.get(0), partner)), 0, false,
                    false, true);
            float[] own = with.get(0).image().pixels();
            float black = (0f - pre.mean()[0]) / pre.std()[0];
            // left half black (outside the partner's region), right half this sample's own pixels
            assertThat(batch.roi()[5]).isEqualTo(black);
            assertThat(batch.roi()[SIZE - 1]).isEqualTo((own[SIZE - 1] - pre.mean()[0]) / pre.std()[0]);
            assertThat(batch.roi()[SIZE - 1]).isNotEqualTo((with.get(1).image().pixels()[SIZE - 1] - pre.mean()[0]) / pre.std()[0]);
            assertThat(batch.roiWeights()).containsExactly(1f);
        }
    }

    /** Noise images labelled 0, 1, 0, 1...: nothing to learn, so the validation figures soon stop improving. */
    static List<BatchLoader.Item> noise(int n, long seed, int firstIndex) {
        Random random = new Random(seed);
        List<BatchLoader.Item> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] px = new float[SIZE * SIZE];
            for (int k = 0; k < px.length; k++) {
                px[k] = random.nextFloat();
            }
            int index = firstIndex + i;
            Sample s = new Sample("n" + index, Path.of("n" + index + ".png"), "c" + (i % 2), i % 2, "p" + index,
                    List.of(), Map.of());
            out.add(new BatchLoader.Item(new PreparedSample(index, s, new GreyImage(SIZE, SIZE, px), null), null));
        }
        return out;
    }

    /** A log that fails (as a killed process would stop) right after the checkpoint of the given epoch (1-based). */
    static PrintStream killedAfterEpoch(int epoch) {
        return new PrintStream(OutputStream.nullOutputStream()) {
            @Override
            public void println(String line) {
                if (line.contains(" epoch " + epoch + "/")) {
                    throw new IllegalStateException("killed after epoch " + epoch);
                }
            }
        };
    }

    record Trained(StageTrainer.Result result, Map<String, float[]> weights) {
        /** The history without the timings. */
        List<EpochRecord> history() {
            return result.history().stream().map(r -> new EpochRecord(r.epoch(), r.learningRate(), r.alpha(),
                    r.trainLoss(), r.trainCe(), r.trainFeatureMse(), r.trainAccuracy(), r.valLoss(), r.valAccuracy(), 0,
                    r.valBalancedAccuracy(), r.valMacroF1(), 0.0)).toList();
        }
    }

    static Trained train(TrainConfig config, Path dir, boolean resume, PrintStream log) throws Exception {
        Preprocessor pre = Preprocessor.defaults(SIZE, 1);
        try (NDManager manager = NDManager.newBaseManager();
             BatchLoader loader = new BatchLoader(new PairedAugmenter(AugmentPreset.WEAK), pre, config.seed(), 1)) {
            ai.djl.engine.Engine.getInstance().setRandomSeed(5);
            ClassifierNet net = Architectures.initialize(Architecture.fromCliName("tiny_cnn").build(2, 1, 0f), manager, SIZE);
            StageTrainer trainer = new StageTrainer(config, loader, null, log);
            StageTrainer.Stage stage = new StageTrainer.Stage("baseline", StageTrainer.FINAL_STAGE_DRAW, StageTrainer.Input.RAW, config.epochs(),
                    noise(12, 1, 0), noise(8, 2, 100), null);
            StageTrainer.Result result = trainer.run(stage, net, manager, dir, resume);
            return new Trained(result, snapshot(net));
        }
    }

    @Test
    void earlyStoppingEndsPatienceEpochsAfterTheKeptEpochAndAKilledRunResumesToTheSameResult(@TempDir Path dir)
            throws Exception {
        EngineThreads.set(1);
        TrainConfig config = TrainConfig.builder().architecture("tiny_cnn").inputSize(SIZE).dropout(0f).epochs(12)
                .teacherEpochs(1).kdEpochs(0).learningRate(1e-2f).batchSize(4).augment("weak").seed(3).threads(1)
                .sampling("class-balanced").loss("focal").focalGamma(2.0).selectBy("balanced-accuracy").patience(2).build();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Trained whole = train(config, dir.resolve("whole"), false, quiet);
        List<EpochRecord> history = whole.result().history();
        System.out.printf("early stopping: kept epoch %d, stopped after epoch %d of 12%n", whole.result().bestEpoch() + 1,
                history.size());
        assertThat(whole.result().stoppedEarly()).as("stopped early").isTrue();
        assertThat(history.size()).isLessThan(12);
        // the kept epoch is the best by balanced accuracy, and training ended 2 epochs after it
        assertThat(whole.result().bestEpoch()).isEqualTo(new Selection("balanced-accuracy", 2, 0).bestEpoch(history));
        assertThat(history.size() - 1 - whole.result().bestEpoch()).isEqualTo(2);
        assertThat(whole.result().selectedBy()).isEqualTo("balanced-accuracy");
        history.forEach(r -> assertThat(r.valBalancedAccuracy()).isBetween(0.0, 1.0));
        // the CSV: the kept row marked, the stop on the last row
        String[] lines = TrainRun.historyCsv(whole.result()).split("\n");
        assertThat(lines).hasSize(history.size() + 1);
        for (int e = 0; e < history.size(); e++) {
            String[] cells = lines[e + 1].split(",");
            assertThat(cells).hasSize(15);
            assertThat(cells[12]).isEqualTo(e == whole.result().bestEpoch() ? "1" : "0");
            assertThat(cells[13]).isEqualTo(e == history.size() - 1 ? "1" : "0");
            // the time spent waiting for batches is part of the epoch's time
            assertThat(Double.parseDouble(cells[14])).isBetween(0.0, Double.parseDouble(cells[9]) + 0.05);
        }

        // killed after the first epoch, or after the last one (its checkpoint written, the stop not yet acted on)
        for (int killedAfter : new int[] {1, history.size()}) {
            Path run = dir.resolve("killed" + killedAfter);
            assertThatThrownBy(() -> train(config, run, false, killedAfterEpoch(killedAfter)))
                    .hasMessageContaining("killed after epoch " + killedAfter);
            Trained resumed = train(config, run, true, quiet);
            assertThat(resumed.history()).as("killed after epoch %d", killedAfter).isEqualTo(whole.history());
            assertThat(resumed.result().bestEpoch()).isEqualTo(whole.result().bestEpoch());
            assertThat(resumed.result().stoppedEarly()).isTrue();
            whole.weights().forEach((name, values) -> assertThat(resumed.weights().get(name)).as(name)
                    .containsExactly(values));
        }
    }
}
