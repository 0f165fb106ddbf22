package io.pneuknow.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.transform.Preprocessor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatMapsTest {

    private static final int INPUT = 128; // tiny_cnn feature map 4 x 4
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ClassifierNet randomTiny(long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        return Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, 64);
    }

    private static GreyImage noise(int w, int h, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] px = new float[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) rng.nextDouble();
        }
        return new GreyImage(w, h, px);
    }

    /** Mid-grey (0 after normalisation with mean 0.5) with a white disc of radius r at (cx, cy). */
    private static GreyImage blob(int w, int h, double cx, double cy, double r) {
        float[] px = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[y * w + x] = Math.hypot(x - cx, y - cy) <= r ? 1f : 0.5f;
            }
        }
        return new GreyImage(w, h, px);
    }

    private static double correlation(float[][] a, float[][] b) {
        int n = 0;
        double sa = 0;
        double sb = 0;
        for (int y = 0; y < a.length; y++) {
            for (int x = 0; x < a[0].length; x++) {
                sa += a[y][x];
                sb += b[y][x];
                n++;
            }
        }
        double ma = sa / n;
        double mb = sb / n;
        double cov = 0;
        double va = 0;
        double vb = 0;
        for (int y = 0; y < a.length; y++) {
            for (int x = 0; x < a[0].length; x++) {
                double da = a[y][x] - ma;
                double db = b[y][x] - mb;
                cov += da * db;
                va += da * da;
                vb += db * db;
            }
        }
        return cov / Math.sqrt(va * vb);
    }

    private static int[] argmax(GreyImage img) {
        float[] px = img.pixels();
        int best = 0;
        for (int i = 1; i < px.length; i++) {
            best = px[i] > px[best] ? i : best;
        }
        return new int[] {best % img.width(), best / img.width()};
    }

    @Test
    void camEqualsGradCamTimesTheMapAreaForRandomTinyCnn() {
        ClassifierNet net = randomTiny(11);
        HeatMaps maps = new HeatMaps(net, Preprocessor.defaults(INPUT, 1), manager);
        assertThat(maps.camIsExact()).isTrue();
        GreyImage raw = noise(150, 170, 3);
        for (int c = 0; c < 3; c++) {
            float[][] grad = maps.rawGradCam(raw, c);
            float[][] cam = maps.rawCam(raw, c);
            assertThat(grad.length).isEqualTo(4);
            assertThat(grad[0].length).isEqualTo(4);
            assertThat(correlation(grad, cam)).isGreaterThan(0.999);
            // alpha_k = w[c, k] / (h * w) exactly, so CAM = 16 x Grad-CAM
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    assertThat(cam[y][x]).isCloseTo(16 * grad[y][x], within(1e-4f * (1 + Math.abs(cam[y][x]))));
                }
            }
            // the same after ReLU, normalisation and upsampling to the raw size
            GreyImage g = maps.gradCam(raw, c);
            GreyImage k = maps.cam(raw, c);
            assertThat(g.width()).isEqualTo(150);
            assertThat(g.height()).isEqualTo(170);
            for (int i = 0; i < g.pixels().length; i++) {
                assertThat(g.pixels()[i]).isCloseTo(k.pixels()[i], within(1e-4f));
            }
        }
    }

    @Test
    void lastStageEqualsTheDefaultAndStagesAreChecked() {
        ClassifierNet net = randomTiny(5);
        HeatMaps maps = new HeatMaps(net, Preprocessor.defaults(INPUT, 1), manager);
        GreyImage raw = noise(INPUT, INPUT, 9);
        assertThat(maps.backboneStages()).isEqualTo(15);
        assertThat(maps.rawGradCam(raw, 1, 15)).isDeepEqualTo(maps.rawGradCam(raw, 1));
        assertThatThrownBy(() -> maps.rawGradCam(raw, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> maps.rawGradCam(raw, 1, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> maps.gradCam(raw, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A tiny_cnn whose every conv is a positive 3x3 average over all input channels, every BatchNorm
     * the identity (running mean 0, var 1, gamma 1, beta 0): each feature channel is a blurred,
     * downsampled copy of the normalised image. Class 0's logit is channel 0's mean, class 1's is
     * minus it, class 2 ignores the features.
     */
    private ClassifierNet handMadeTiny() {
        ClassifierNet net = randomTiny(1);
        for (Pair<String, Parameter> p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            long[] s = a.getShape().getShape();
            float[] v = new float[(int) a.getShape().size()];
            switch (p.getValue().getType()) {
                case WEIGHT -> {
                    if (s.length == 4) { // conv (out, in, 3, 3)
                        java.util.Arrays.fill(v, 1f / (s[1] * s[2] * s[3]));
                    } else { // linear (classes, channels)
                        v[0] = 1f;
                        v[(int) s[1]] = -1f;
                    }
                }
                case GAMMA, RUNNING_VAR -> java.util.Arrays.fill(v, 1f);
                default -> { } // beta, bias, running mean: 0
            }
            a.set(v);
        }
        return net;
    }

    @Test
    void gradCamPeaksAtTheBlobThatDrivesTheClassAndFollowsIt() {
        ClassifierNet net = handMadeTiny();
        HeatMaps maps = new HeatMaps(net, Preprocessor.defaults(INPUT, 1), manager);
        // resized to 128 by the preprocessor; the 4 x 4 feature cells are 40 raw px wide. Stride-2 convs
        // with padding 1 centre cell i at raw 40 i, while the upsampling (as cv2.resize in the usual
        // Grad-CAM code) puts it at 40 i + 20: the peak lies half a cell right of and below a blob
        // centred on a cell. Blobs sit on cell centres, away from the middle lines.
        int size = 160;
        double[][] centres = {{40, 40}, {120, 40}, {40, 120}, {120, 120}, {90, 50}};
        for (double[] c : centres) {
            GreyImage raw = blob(size, size, c[0], c[1], 10);
            for (GreyImage heat : new GreyImage[] {maps.gradCam(raw, 0), maps.cam(raw, 0), maps.gradCam(raw, 0, 9)}) {
                assertThat(heat.width()).isEqualTo(size);
                int[] peak = argmax(heat);
                String where = java.util.Arrays.toString(peak) + " for blob " + java.util.Arrays.toString(c);
                assertThat(Math.abs(peak[0] - c[0])).as(where).isLessThanOrEqualTo(20);
                assertThat(Math.abs(peak[1] - c[1])).as(where).isLessThanOrEqualTo(20);
                // the peak is in the blob's half, left/right and top/bottom
                assertThat(peak[0] < size / 2).isEqualTo(c[0] < size / 2);
                assertThat(peak[1] < size / 2).isEqualTo(c[1] < size / 2);
                assertThat(heat.pixels()[peak[1] * size + peak[0]]).isEqualTo(1f);
                // most of the heat's mass is on the blob's side of the image
                assertThat(Agreement.energyPointingGame(heat, half(size, c[0] < size / 2))).isGreaterThan(0.6);
            }
            // class 1 = minus the blob channel: no positive evidence anywhere, the map stays zero
            assertThat(maps.gradCam(raw, 1).pixels()).containsOnly(0f);
            // class 2 does not depend on the features: zero gradient, zero map
            assertThat(maps.gradCam(raw, 2).pixels()).containsOnly(0f);
        }
    }

    private static GreyImage half(int size, boolean left) {
        float[] px = new float[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                px[y * size + x] = (x < size / 2) == left ? 1f : 0f;
            }
        }
        return new GreyImage(size, size, px);
    }

    @Test
    void worksOnASavedAndLoadedBundle(@TempDir Path dir) throws Exception {
        ClassifierNet net = randomTiny(21);
        Preprocessor pre = Preprocessor.defaults(64, 1);
        ModelCard card = new ModelCard(ModelCard.FORMAT, null, null, null, List.of("a", "b", "c"), "tiny_cnn", 1, 0f,
                pre, "baseline", null, null, 21, "test", Map.of(), null, ModelCard.INTENDED_USE, "test", "now", "test", null);
        ModelBundle.save(dir, net, card);
        GreyImage raw = noise(90, 70, 4);
        float[][] expected = new HeatMaps(net, pre, manager).rawGradCam(raw, 2);
        try (ModelBundle.Loaded loaded = ModelBundle.load(dir)) {
            HeatMaps maps = new HeatMaps(loaded);
            float[][] got = maps.rawGradCam(raw, 2);
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 2; x++) {
                    assertThat(got[y][x]).isCloseTo(expected[y][x], within(1e-5f));
                }
            }
            assertThat(correlation(got, maps.rawCam(raw, 2))).isGreaterThan(0.999);
            assertThat(maps.gradCam(raw, 2).width()).isEqualTo(90);
        }
    }

    @Test
    void convNeXtHeadsGetGradCamOnly() {
        ClassifierNet net = Architecture.convnext_micro.build(2, 1, 0f);
        HeatMaps maps = new HeatMaps(net, Preprocessor.defaults(64, 1), manager);
        assertThat(maps.camIsExact()).isFalse();
        assertThatThrownBy(() -> maps.cam(GreyImage.blank(64, 64), 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("gradCam");
        // Grad-CAM goes through the LayerNorm head (a smoke check: normalised, at the raw size)
        Engine.getInstance().setRandomSeed(3);
        Architectures.initialize(net, manager, 64);
        GreyImage heat = maps.gradCam(noise(64, 64, 8), 1);
        float max = 0;
        for (float v : heat.pixels()) {
            max = Math.max(max, v);
        }
        assertThat(max).isIn(0f, 1f);
        assertThat(heat.width()).isEqualTo(64);
    }

    @Test
    void toImageAppliesReluNormalisesAndUpsamples() {
        GreyImage img = HeatMaps.toImage(new float[][] {{-3, 0}, {0, 2}}, 20, 20);
        assertThat(img.get(19, 19)).isEqualTo(1f);
        assertThat(img.get(0, 0)).isZero();
        assertThat(img.get(0, 19)).isZero();
        float max = 0;
        for (float v : img.pixels()) {
            assertThat(v).isBetween(0f, 1f);
            max = Math.max(max, v);
        }
        assertThat(max).isEqualTo(1f);
        assertThat(HeatMaps.toImage(new float[][] {{-1, -2}, {0, -0.5f}}, 7, 5).pixels()).containsOnly(0f);
    }

    @Test
    void cellsArePlacedAtTheirReceptiveFieldsCentresMeasuredPerArchitecture() {
        // padded stride-2 convolutions (tiny_cnn, the ResNets) centre cell j on input pixel s j;
        // ConvNeXt's non-overlapping patches on s j + (s - 1) / 2 = 32 j + 15.5
        HeatMaps tiny = new HeatMaps(randomTiny(5), Preprocessor.defaults(INPUT, 1), manager);
        assertThat(tiny.geometry(tiny.backboneStages()).stride()).isEqualTo(32);
        assertThat(tiny.geometry(tiny.backboneStages()).offset()).isCloseTo(0, within(1.0));
        assertThat(tiny.geometry(12).stride()).isEqualTo(16);
        assertThat(tiny.geometry(12).offset()).isCloseTo(0, within(1.0));
        Engine.getInstance().setRandomSeed(5);
        ClassifierNet convnext = Architectures.initialize(Architecture.convnext_micro.build(3, 1, 0f), manager, INPUT);
        HeatMaps patches = new HeatMaps(convnext, Preprocessor.defaults(INPUT, 1), manager);
        assertThat(patches.geometry(patches.backboneStages()).offset()).isCloseTo(15.5, within(1.0));

        // a single hot cell (row 1, column 2) of tiny_cnn's 4 x 4 map, drawn on a 256 x 128 image: its peak
        // lies over input pixel (32 * 2 + o, 32 * 1 + o), i.e. at twice that across and once down
        double o = tiny.geometry(tiny.backboneStages()).offset();
        float[][] map = new float[4][4];
        map[1][2] = 1;
        int[] peak = argmax(tiny.toImage(map, tiny.backboneStages(), 256, 128));
        assertThat((double) peak[0]).isCloseTo(2 * (64 + o + 0.5) - 0.5, within(1.5));
        assertThat((double) peak[1]).isCloseTo(32 + o, within(1.0));
        // cellCentres gives the same places, as the service's JSON reports them: x of column 2 on 256 px,
        // y of row 1 on 128 px, and the first and last cells (partly outside a 128 px axis) in order
        double[] xs = tiny.cellCentres(tiny.backboneStages(), 256, 4);
        double[] ys = tiny.cellCentres(tiny.backboneStages(), 128, 4);
        assertThat(xs[2]).isCloseTo(2 * (64 + o + 0.5) - 0.5, within(0.01)).isCloseTo(peak[0], within(1.5));
        assertThat(ys[1]).isCloseTo(32 + o, within(0.01)).isCloseTo(peak[1], within(1.0));
        assertThat(ys).isSorted().hasSize(4);
        assertThat(ys[3] - ys[0]).isCloseTo(96, within(0.01));
        // aligned upsampling would have drawn it half a cell (15.5 input pixels) further right and down
        int[] aligned = argmax(HeatMaps.toImage(map, 256, 128));
        assertThat(aligned[1] - peak[1]).isBetween(14, 17);
    }
}
