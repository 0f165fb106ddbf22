package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.pneuknow.data.Box;
import io.pneuknow.data.Region;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import io.pneuknow.transform.AugmentPreset;
import io.pneuknow.transform.PairedAugmenter;
import io.pneuknow.transform.Preprocessor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The energy term ({@link Losses#energy}) and the expert regions on the feature grid ({@link BatchLoader}). */
class EnergyLossTest {
    @Test
    void theEnergyTermIsTheMeanOutsideShareOverTheImagesWithARegion() {
        try (NDManager m = NDManager.newBaseManager()) {
            // image 0: A = [[2, 0], [1, 1]], inside 2 * 1 = 2 of 4: term 0.5
            // image 1: A = [[0.5, 3], [0, 0.5]], inside 3 + 0.5 = 3.5 of 4: term 0.125
            // image 2: no region (weight 0), whatever its map
            NDArray cam = m.create(new float[] {2, -1, 1, 1, 0.5f, 3, -2, 0.5f, 5, 0, 0, 0}, new Shape(3, 2, 2));
            NDArray shares = m.create(new float[] {1, 0.5f, 0, 0, 0, 1, 0.25f, 1, 0, 0, 0, 0}, new Shape(3, 2, 2));
            NDArray weights = m.create(new float[] {1, 1, 0});
            cam.setRequiresGradient(true);
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray energy = Losses.energy(cam, shares, weights);
                assertThat(energy.getFloat()).isCloseTo(0.3125f, within(1e-6f));
                tape.backward(energy);
            }
            float[] grad = cam.getGradient().toFloatArray();
            // d term0 / d A00 = -(s00 * 4 - 2) / 16 = -0.125, halved by the mean over two images
            assertThat(grad[0]).isCloseTo(-0.0625f, within(1e-6f));
            // a negative CAM value gets no gradient through the ReLU
            assertThat(grad[1]).isZero();
            // d term0 / d A10 = -(0 * 4 - 2) / 16 / 2 = +0.0625: energy outside the region is pushed down
            assertThat(grad[2]).isCloseTo(0.0625f, within(1e-6f));
            // the image without a region gets none
            assertThat(new float[] {grad[8], grad[9], grad[10], grad[11]}).containsOnly(0f);
        }
    }

    @Test
    void aBatchWithoutRegionsGivesZeroAndNoGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray cam = m.create(new float[] {2, -1, 1, 1, 0.5f, 3, -2, 0.5f}, new Shape(2, 2, 2));
            cam.setRequiresGradient(true);
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray energy = Losses.energy(cam, m.zeros(new Shape(2, 2, 2)), m.zeros(new Shape(2)));
                assertThat(energy.getFloat()).isZero();
                tape.backward(energy);
            }
            assertThat(cam.getGradient().toFloatArray()).containsOnly(0f);
        }
    }

    static final int SIZE = 64;

    static PreparedSample sample(int index, boolean annotated, GreyImage mask) {
        List<Region> regions = annotated ? List.of(new Region("lesion", "", new Box(0, 0, 16, 32), null, "test"))
                : List.of();
        Sample s = new Sample("s" + index, Path.of("s" + index + ".png"), "c", 0, "p" + index, regions, Map.of());
        return new PreparedSample(index, s, GreyImage.blank(SIZE, SIZE), mask);
    }

    @Test
    void regionSharesAreTheCoveredAreaOfEachFeatureCellAndOnlyAnnotatedImagesCount() {
        // 64 px on a 2 x 2 grid: cells of 32 x 32. The region: x in [0, 16), y in [0, 32) (half of the top-left
        // cell) and x in [32, 40), y in [40, 64) (8 x 24 of the bottom-right cell's 32 x 32: 0.1875)
        float[] px = new float[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean in = (x < 16 && y < 32) || (x >= 32 && x < 40 && y >= 40);
                px[y * SIZE + x] = in ? 1 : 0;
            }
        }
        GreyImage mask = new GreyImage(SIZE, SIZE, px);
        PreparedSample annotated = sample(0, true, mask);
        // a no-finding image (empty mask), an unannotated one under the whole-image policy, one whose mask was dropped
        PreparedSample noFinding = sample(1, false, GreyImage.blank(SIZE, SIZE));
        float[] ones = new float[SIZE * SIZE];
        java.util.Arrays.fill(ones, 1f);
        PreparedSample wholeImage = sample(2, false, new GreyImage(SIZE, SIZE, ones));
        PreparedSample dropped = sample(3, true, null);
        try (BatchLoader loader = new BatchLoader(new PairedAugmenter(AugmentPreset.NONE), Preprocessor.defaults(SIZE, 1),
                3, 1)) {
            BatchLoader.HostBatch batch = loader.build(List.of(annotated, noFinding, wholeImage, dropped).stream()
                    .map(s -> new BatchLoader.Item(s, null)).toList(), 0, false, true, false, 2);
            assertThat(batch.regionWeights()).containsExactly(1f, 0f, 0f, 0f);
            assertThat(batch.regionShares()).containsExactly(
                    0.5f, 0f, 0f, 0.1875f,
                    0f, 0f, 0f, 0f,
                    0f, 0f, 0f, 0f,
                    0f, 0f, 0f, 0f);
            // not asked for: none
            assertThat(loader.build(List.of(new BatchLoader.Item(annotated, null)), 0, false, true, false).regionShares())
                    .isNull();
        }
    }
}
