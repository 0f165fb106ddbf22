package io.pneuknow.explain;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.pneuknow.data.Box;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainRun;
import io.pneuknow.transform.RoiMask;
import io.pneuknow.transform.RoiShape;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's heat-map mechanism: trained on synthetic images whose class shows only in a lesion while
 * a marker in a corner agrees with the label in training (and is random in the test part), the HKD
 * student's Grad-CAM points at the lesion and the baseline's at the marker.
 *
 * <p><b>Setting.</b> {@link SyntheticChestXrays.Spec#heatMapTask} (128 px, white marker) and tiny_cnn
 * at 128 px with the settings of {@link TrainConfig#shortcutTask} except: 20 epochs (teacher 10, the
 * distillation weight decaying over all 20) and alpha0 0.9 for HKD. At the reference's alpha0 0.5 the
 * student's inside-lesion rate was 0.81, 0.79 and 0.90 for seeds 1-3 (the feature term fades and the
 * student drifts back to the marker): too close to 0.8 for a test that must not be flaky.
 *
 * <p><b>Seeds.</b> One (seed 1, about 80 s on two cores; {@code -Dheatmap.seeds=1,2,3} pools more).
 * Measured with this rule for seeds 1-5: the student's maximum in the lesion 0.91, 0.94, 0.90, 0.95,
 * 0.90 and on the marker 0 for each; the baseline's on the marker 0.56, 0.29, 0.56, 0.34, 0.21 and in
 * the lesion 0.18, 0.29, 0.23, 0.40, 0.38. Same seed and threads give the same weights, so the
 * outcome is repeatable.
 *
 * <p><b>Heat map.</b> Grad-CAM of the true class (as {@code pneuknow evaluate}) on the output of
 * tiny_cnn's fourth stage (backbone child 12): 8 x 8 cells, stride 16 px, on the images with a lesion
 * in the test part (80 per seed; healthy images have none). Not the last feature map: at 64 px it is
 * 2 x 2, so any rule is either trivial or blind, and at 128 px it is 4 x 4 (stride 32): the student's
 * maximum was in the lesion for 0.85-0.93 of the images (seeds 1-3, alpha0 0.5), but the baseline's
 * was on the marker for at most 0.01, landing on the cells next to the marker's corner cell (their
 * receptive fields hold the marker, but its pixels are nearer the corner cell's centre). At 64 px the
 * earlier stages did not do either: Grad-CAM there is noisy, and the student was in the lesion for at
 * most 0.76 of the images at any stage and seed (alpha0 0.5 or 0.9).
 *
 * <p><b>Rule for "inside".</b> At the map's own resolution: the maximum is the map's largest value
 * (the first in row-major order), and its cell counts as inside a region when the cell's footprint
 * holds at least one pixel of the region (the lesion's mask from regions.csv, or the marker's square,
 * {@link SyntheticChestXrays#cueMarker}). The footprint of cell (i, j) at stride s is the pixels nearer
 * to its centre (s j, s i) than to any other cell's: x in [s j - s/2, s j + s/2) clipped to the
 * image, the last column and row reaching the image's edge. Its centre is where the cell's receptive
 * field is centred: tiny_cnn's 3 x 3 convolutions with stride 2 and padding 1 put output j over inputs
 * 2j - 1 .. 2j + 1, checked by {@link #tinyCnnCellsAreCentredOnMultiplesOfTheStride}. (It is not the
 * middle of the block [s j, s j + s) where {@link HeatMaps#toImage}'s aligned upsampling draws the
 * cell.) Footprints are 16 x 16 px; the lesion (radius 8-10 px) touches 2 to 6 of the 64 cells (6% on
 * average, seed 1) and the marker (a 6 px square 4 px from the corner) 4, so a random cell would be
 * inside either about one time in sixteen.
 *
 * <p>Fails when guidance is ignored: run with {@code -Dheatmap.alpha0=0} (the student trained without
 * the feature term), seed 1's student was in the lesion for 0.15 of the images and on the marker for
 * 0.66, and the test failed.
 */
class HeatMapMechanismTest {
    static final int SIZE = 128;
    static final int EPOCHS = 20;
    static final int TEACHER_EPOCHS = 10;
    /** Backbone children run before the heat map: tiny_cnn's fourth stage (conv, BN, ReLU x 4). */
    static final int STAGE = 12;
    static final long[] SEEDS = seeds(System.getProperty("heatmap.seeds", "1"));
    static final float ALPHA0 = Float.parseFloat(System.getProperty("heatmap.alpha0", "0.9"));

    static TrainConfig config(String method, long seed) {
        TrainConfig t = TrainConfig.shortcutTask(method, "roi", seed, 2);
        return t.toBuilder().inputSize(SIZE).epochs(EPOCHS).teacherEpochs(TEACHER_EPOCHS).alpha0(ALPHA0).kdEpochs(EPOCHS).build();
    }

    /** Images with a lesion, and how often a model's maximum was in the lesion and on the marker. */
    record Rates(int images, int inLesion, int onCue) {
        double lesion() {
            return (double) inLesion / images;
        }

        double cue() {
            return (double) onCue / images;
        }

        Rates plus(Rates o) {
            return new Rates(images + o.images, inLesion + o.inLesion, onCue + o.onCue);
        }
    }

    @Test
    void hkdStudentsGradCamFindsTheLesionAndTheBaselinesFindsTheCueMoreOften(@TempDir Path dir) throws Exception {
        Rates student = new Rates(0, 0, 0);
        Rates baseline = new Rates(0, 0, 0);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (long seed : SEEDS) {
            Path data = SyntheticChestXrays.generate(dir.resolve("data" + seed), SyntheticChestXrays.Spec.heatMapTask(seed));
            Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv"))
                    .withRegionTypes("lesion"));
            Split split = Split.fromColumn(dataset, "split");
            List<Sample> lesions = split.samples(dataset, Split.TEST).stream()
                    .filter(s -> !s.className().equals("healthy")).toList();
            assertThat(lesions).hasSize(80).allMatch(Sample::annotated);
            TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN),
                    split.samples(dataset, Split.VAL), lesions);
            TrainRun.Provenance provenance = new TrainRun.Provenance(null, "synthetic", "synthetic", "test");
            Path baselineDir = dir.resolve("baseline" + seed);
            Path hkdDir = dir.resolve("hkd" + seed);
            double baselineAccuracy = new TrainRun(config("baseline", seed), quiet)
                    .run(dataset, parts, provenance, baselineDir, false).testAccuracy();
            double hkdAccuracy = new TrainRun(config("hkd", seed), quiet)
                    .run(dataset, parts, provenance, hkdDir, false).testAccuracy();
            Rates b = rates(baselineDir, lesions);
            Rates h = rates(hkdDir, lesions);
            System.out.printf(Locale.ROOT, "heat-map mechanism seed %d (alpha0 %.2f, %d test images with a lesion): "
                            + "in lesion: HKD %.3f, baseline %.3f; on cue: HKD %.3f, baseline %.3f; "
                            + "accuracy: HKD %.3f, baseline %.3f%n", seed, ALPHA0, h.images(), h.lesion(), b.lesion(),
                    h.cue(), b.cue(), hkdAccuracy, baselineAccuracy);
            student = student.plus(h);
            baseline = baseline.plus(b);
        }
        assertThat(student.lesion()).as("share of images where the HKD student's Grad-CAM maximum is in the lesion")
                .isGreaterThanOrEqualTo(0.8);
        assertThat(baseline.cue()).as("share of images where the baseline's maximum is on the cue, against the student's")
                .isGreaterThan(student.cue());
    }

    /** Where each model's Grad-CAM maximum lies on the images. */
    private static Rates rates(Path modelDir, List<Sample> samples) {
        int inLesion = 0;
        int onCue = 0;
        try (ModelBundle.Loaded model = ModelBundle.load(modelDir)) {
            HeatMaps heat = new HeatMaps(model);
            for (Sample s : samples) {
                GreyImage image = ImageFiles.read(s.file());
                assertThat(image.width()).isEqualTo(SIZE);
                GreyImage lesion = RoiMask.build(s, SIZE, SIZE, 0, RoiShape.MASK, ImageFiles::readMask);
                Box cue = SyntheticChestXrays.cueMarker(SIZE, SyntheticChestXrays.CLASSES.indexOf(s.attributes().get("cue_class")));
                assertThat(mean(image, cue)).as("the marker's square is white").isGreaterThan(0.9);
                float[][] map = heat.rawGradCam(image, s.classIndex(), STAGE);
                int[] cell = maximum(map);
                if (cell == null) {
                    continue; // no positive evidence: neither
                }
                int[] foot = footprint(cell[0], cell[1], map.length, map[0].length);
                inLesion += touches(foot, (x, y) -> lesion.get(x, y) >= 0.5f) ? 1 : 0;
                onCue += touches(foot, (x, y) -> x >= cue.x() && x < cue.right() && y >= cue.y() && y < cue.bottom()) ? 1 : 0;
            }
        }
        return new Rates(samples.size(), inLesion, onCue);
    }

    /** {row, column} of the largest value (the first in row-major order), or null when none is positive. */
    static int[] maximum(float[][] map) {
        int[] best = null;
        float max = 0;
        for (int i = 0; i < map.length; i++) {
            for (int j = 0; j < map[i].length; j++) {
                if (map[i][j] > max) {
                    max = map[i][j];
                    best = new int[] {i, j};
                }
            }
        }
        return best;
    }

    /**
     * {x0, y0, x1, y1} (exclusive ends) of the pixels nearer to cell (i, j)'s centre (s j, s i) than to
     * any other cell's, for an h x w map at stride s = SIZE / w.
     */
    static int[] footprint(int i, int j, int h, int w) {
        int sx = SIZE / w;
        int sy = SIZE / h;
        return new int[] {Math.max(0, sx * j - sx / 2), Math.max(0, sy * i - sy / 2),
            j == w - 1 ? SIZE : sx * j + sx / 2, i == h - 1 ? SIZE : sy * i + sy / 2};
    }

    interface PixelTest {
        boolean in(int x, int y);
    }

    static boolean touches(int[] foot, PixelTest region) {
        for (int y = foot[1]; y < foot[3]; y++) {
            for (int x = foot[0]; x < foot[2]; x++) {
                if (region.in(x, y)) {
                    return true;
                }
            }
        }
        return false;
    }

    static double mean(GreyImage image, Box box) {
        double sum = 0;
        for (int y = box.y(); y < box.bottom(); y++) {
            for (int x = box.x(); x < box.right(); x++) {
                sum += image.get(x, y);
            }
        }
        return sum / (box.width() * box.height());
    }

    static long[] seeds(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).mapToLong(Long::parseLong).toArray();
    }

    @Test
    void footprintsTileTheImage() {
        int[] covered = new int[SIZE * SIZE];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                int[] f = footprint(i, j, 8, 8);
                for (int y = f[1]; y < f[3]; y++) {
                    for (int x = f[0]; x < f[2]; x++) {
                        covered[y * SIZE + x]++;
                    }
                }
            }
        }
        assertThat(covered).containsOnly(1);
        assertThat(footprint(0, 0, 8, 8)).containsExactly(0, 0, 8, 8);
        assertThat(footprint(2, 3, 8, 8)).containsExactly(40, 24, 56, 40);
        assertThat(footprint(7, 7, 8, 8)).containsExactly(104, 104, SIZE, SIZE);
    }

    /**
     * The geometry the rule stands on: tiny_cnn's convolutions (3 x 3, stride 2, padding 1) put the
     * receptive field of cell (i, j) after its k-th stage at pixels 2^k (j, i) +- (2^k - 1); it is
     * centred on the cell's top-left corner in the aligned picture, not on the middle of its block.
     */
    @Test
    void tinyCnnCellsAreCentredOnMultiplesOfTheStride() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            ClassifierNet net = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, SIZE);
            // after stage 4 (child 12): 8 x 8, stride 16; after stage 5 (child 15): 4 x 4, stride 32
            assertThat(receptiveField(net, manager, 12, 3, 4)).containsExactly(4 * 16 - 15, 3 * 16 - 15, 4 * 16 + 15, 3 * 16 + 15);
            assertThat(receptiveField(net, manager, 15, 1, 2)).containsExactly(2 * 32 - 31, 32 - 31, 2 * 32 + 31, 32 + 31);
            assertThat(receptiveField(net, manager, 15, 3, 3)).containsExactly(3 * 32 - 31, 3 * 32 - 31, SIZE - 1, SIZE - 1);
        }
    }

    /** Bounding box {x0, y0, x1, y1} (inclusive) of the input pixels that reach cell (i, j) after {@code stage} children. */
    private static int[] receptiveField(ClassifierNet net, NDManager manager, int stage, int i, int j) {
        List<Block> children = ((SequentialBlock) net.backbone()).getChildren().values();
        double[] reach = new double[SIZE * SIZE];
        SplittableRandom rng = new SplittableRandom(3);
        for (int trial = 0; trial < 4; trial++) {
            try (NDManager scratch = manager.newSubManager()) {
                float[] noise = new float[SIZE * SIZE];
                for (int p = 0; p < noise.length; p++) {
                    noise[p] = (float) rng.nextGaussian();
                }
                NDArray x = scratch.create(noise, new Shape(1, 1, SIZE, SIZE));
                x.setRequiresGradient(true);
                ParameterStore ps = new ParameterStore(scratch, false);
                try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                    NDList current = new NDList(x);
                    for (int c = 0; c < stage; c++) {
                        current = children.get(c).forward(ps, current, false);
                    }
                    tape.backward(current.singletonOrThrow().get("0, :, " + i + ", " + j).sum());
                }
                float[] g = x.getGradient().toFloatArray();
                for (int p = 0; p < g.length; p++) {
                    reach[p] += Math.abs(g[p]);
                }
            }
        }
        int x0 = SIZE;
        int y0 = SIZE;
        int x1 = -1;
        int y1 = -1;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                if (reach[y * SIZE + x] > 0) {
                    x0 = Math.min(x0, x);
                    y0 = Math.min(y0, y);
                    x1 = Math.max(x1, x);
                    y1 = Math.max(y1, y);
                }
            }
        }
        return new int[] {x0, y0, x1, y1};
    }
}
