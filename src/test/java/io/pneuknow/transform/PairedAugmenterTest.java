package io.pneuknow.transform;

import static io.pneuknow.transform.TestImages.lShape;
import static io.pneuknow.transform.TestImages.misaligned;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import io.pneuknow.image.GreyImage;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PairedAugmenterTest {
    private static final GreyImage L = lShape(80, 80);
    private static final PairedAugmenter WEAK = new PairedAugmenter(AugmentPreset.WEAK);
    private static final PairedAugmenter STRONG = new PairedAugmenter(AugmentPreset.STRONG);

    @Test
    void presetParsing() {
        assertThat(AugmentPreset.parse("none")).isEqualTo(AugmentPreset.NONE);
        assertThat(AugmentPreset.parse("Weak")).isEqualTo(AugmentPreset.WEAK);
        assertThat(AugmentPreset.parse(" strong ")).isEqualTo(AugmentPreset.STRONG);
        assertThatThrownBy(() -> AugmentPreset.parse("heavy")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'heavy'").hasMessageContaining("none, weak, strong");
        assertThat(WEAK.hflip()).isFalse();
    }

    @Test
    void noneReturnsThePairUnchanged() {
        GreyImage image = gradientWithL();
        AugmentedPair out = new PairedAugmenter(AugmentPreset.NONE).augment(image, L, 1, 2, 3);
        assertThat(out.image().pixels()).isEqualTo(image.pixels());
        assertThat(out.mask().pixels()).isEqualTo(L.pixels());
    }

    @Test
    void weakChangesTheImageAndKeepsTheMaskOnTheObject() {
        for (int i = 0; i < 40; i++) {
            AugmentedPair out = WEAK.augment(L, L, 7, 0, i);
            assertThat(out.image().pixels()).as("draw %d", i).isNotEqualTo(L.pixels());
            assertThat(out.mask().pixels()).containsOnly(0f, 1f);
            assertThat(TestImages.count(out.mask())).as("draw %d", i).isGreaterThan(50);
            assertThat(misaligned(out.image(), out.mask())).as("draw %d", i).isZero();
        }
    }

    @Test
    void aTransformOfOnlyOneOfThePairFailsTheAlignmentCheck() {
        for (int i = 0; i < 10; i++) {
            AugmentedPair out = WEAK.augment(L, L, 7, 0, i);
            AugmentedPair other = WEAK.augment(L, L, 7, 1, i);
            assertThat(misaligned(out.image(), L)).as("image only, draw %d", i).isGreaterThan(20);
            assertThat(misaligned(out.image(), other.mask())).as("different draws %d", i).isGreaterThan(20);
        }
    }

    @Test
    void pureShiftMovesAPointWhereExpected() {
        GreyImage image = GreyImage.blank(100, 80);
        image.pixels()[40 * 100 + 30] = 1f;
        AugmentedPair out = PairedAugmenter.warp(image, image,
                new PairedAugmenter.Geometry(0.1, -0.05, 1.0, 0.0, false));
        assertThat(out.image().get(40, 36)).isEqualTo(1f);
        assertThat(out.mask().get(40, 36)).isEqualTo(1f);
        assertThat(TestImages.count(out.image())).isEqualTo(1);
        assertThat(TestImages.count(out.mask())).isEqualTo(1);
    }

    @Test
    void rotationIsCounterClockwiseAboutTheCentreAndScaleGrowsFromIt() {
        GreyImage image = GreyImage.blank(21, 21); // centre (10, 10)
        image.pixels()[10 * 21 + 15] = 1f;        // 5 px right of the centre
        AugmentedPair rotated = PairedAugmenter.warp(image, image,
                new PairedAugmenter.Geometry(0, 0, 1.0, 90.0, false));
        assertThat(rotated.image().get(10, 5)).isCloseTo(1f, within(1e-5f)); // now 5 px above
        assertThat(rotated.mask().get(10, 5)).isEqualTo(1f);
        AugmentedPair scaled = PairedAugmenter.warp(image, image,
                new PairedAugmenter.Geometry(0, 0, 1.5, 0.0, false));
        assertThat(scaled.mask().get(17, 10)).isEqualTo(1f); // 10 + 5 * 1.5 = 17.5 -> nearest covers 17
        assertThat(scaled.image().get(17, 10)).isGreaterThan(0.3f);
    }

    @Test
    void sameDrawGivesIdenticalOutputAndOtherDrawsDiffer() {
        GreyImage image = gradientWithL();
        PairedAugmenter flipping = new PairedAugmenter(AugmentPreset.STRONG, true);
        AugmentedPair a = flipping.augment(image, L, 42, 3, 17);
        AugmentedPair b = flipping.augment(image, L, 42, 3, 17);
        assertThat(a.image().pixels()).isEqualTo(b.image().pixels());
        assertThat(a.mask().pixels()).isEqualTo(b.mask().pixels());
        assertThat(flipping.augment(image, L, 42, 4, 17).image().pixels()).isNotEqualTo(a.image().pixels());
        assertThat(flipping.augment(image, L, 42, 3, 18).image().pixels()).isNotEqualTo(a.image().pixels());
        assertThat(flipping.augment(image, L, 43, 3, 17).image().pixels()).isNotEqualTo(a.image().pixels());
    }

    @Test
    void seedMixIsInjectiveOnAGrid() {
        Set<Long> seeds = new HashSet<>();
        for (int epoch = 0; epoch < 100; epoch++) {
            for (int index = 0; index < 200; index++) {
                seeds.add(PairedAugmenter.mix(0, epoch, index));
            }
        }
        assertThat(seeds).hasSize(20_000);
        assertThat(PairedAugmenter.mix(0, 1, 0)).isNotEqualTo(PairedAugmenter.mix(0, 0, 1));
    }

    @Test
    void threadSafe() {
        GreyImage image = gradientWithL();
        List<float[]> sequential = IntStream.range(0, 48)
                .mapToObj(i -> STRONG.augment(image, L, 5, 1, i).image().pixels()).toList();
        List<float[]> parallel = IntStream.range(0, 48).parallel()
                .mapToObj(i -> STRONG.augment(image, L, 5, 1, i).image().pixels()).toList();
        for (int i = 0; i < 48; i++) {
            assertThat(parallel.get(i)).as("sample %d", i).isEqualTo(sequential.get(i));
        }
    }

    @Test
    void noHorizontalFlipByDefault() {
        GreyImage left = leftBlock();
        for (int i = 0; i < 200; i++) {
            AugmentedPair out = STRONG.augment(left, left, 11, 0, i);
            assertThat(centroidX(out.mask())).as("draw %d", i).isLessThan(left.width() / 2.0 - 2);
        }
        // the check can fail: with hflip on, about half the draws come back mirrored
        PairedAugmenter flipping = new PairedAugmenter(AugmentPreset.WEAK, true);
        long mirrored = IntStream.range(0, 200)
                .filter(i -> centroidX(flipping.augment(left, left, 11, 0, i).mask()) > left.width() / 2.0)
                .count();
        assertThat(mirrored).isBetween(60L, 140L);
    }

    @Test
    void strongSharesTheGeometricDrawWithWeakAndKeepsTheObjectBright() {
        int changed = 0;
        for (int i = 0; i < 40; i++) {
            AugmentedPair weak = WEAK.augment(L, L, 3, 2, i);
            AugmentedPair strong = STRONG.augment(L, L, 3, 2, i);
            assertThat(strong.mask().pixels()).as("draw %d", i).isEqualTo(weak.mask().pixels());
            for (float v : strong.image().pixels()) {
                assertThat(v).as("draw %d", i).isBetween(0f, 1f);
            }
            if (!java.util.Arrays.equals(strong.image().pixels(), weak.image().pixels())) {
                changed++;
            }
            double[] means = coreMeans(strong.image(), strong.mask(), 2);
            assertThat(means[0] - means[1]).as("inside minus outside, draw %d", i).isGreaterThan(0.3);
        }
        assertThat(changed).isGreaterThan(30); // the photometric steps ran for most draws
    }

    @Test
    void strongPhotometricStepsLeaveTheRoiOutsideBlack() {
        GreyImage image = gradientWithL();
        for (int i = 0; i < 40; i++) {
            AugmentedPair out = STRONG.augment(image, L, 9, 0, i);
            GreyImage roi = RoiMask.apply(out.image(), out.mask());
            int inside = 0;
            for (int p = 0; p < roi.pixels().length; p++) {
                if (out.mask().pixels()[p] == 0f) {
                    assertThat(roi.pixels()[p]).as("draw %d pixel %d", i, p).isZero();
                } else {
                    assertThat(roi.pixels()[p]).isEqualTo(out.image().pixels()[p]);
                    inside++;
                }
            }
            assertThat(inside).isGreaterThan(50);
        }
    }

    @Test
    void strongKeepsSixteenBitPrecision() {
        float[] p = new float[80 * 80];
        for (int i = 0; i < p.length; i++) {
            p[i] = (16000 + 4 * i) / 65535f; // smooth ramp, steps of 4/65535
        }
        GreyImage ramp = new GreyImage(80, 80, p);
        GreyImage full = new GreyImage(80, 80, new float[80 * 80]);
        java.util.Arrays.fill(full.pixels(), 1f);
        for (int i = 0; i < 30; i++) {
            float[] out = STRONG.augment(ramp, full, 21, 0, i).image().pixels();
            Set<Float> distinct = new HashSet<>();
            for (float v : out) {
                if (v > 0f && v < 1f) {
                    distinct.add(v);
                }
            }
            assertThat(distinct).as("draw %d", i).hasSizeGreaterThan(1000); // far more than 256 levels
        }
    }

    /** A grey gradient background (0.2..0.6) with the L at 0.9: nonzero everywhere. */
    private static GreyImage gradientWithL() {
        float[] p = new float[80 * 80];
        for (int y = 0; y < 80; y++) {
            for (int x = 0; x < 80; x++) {
                p[y * 80 + x] = L.get(x, y) == 1f ? 0.9f : 0.2f + 0.4f * x / 79f;
            }
        }
        return new GreyImage(80, 80, p);
    }

    /** A bright block x in [5,35), y in [35,65) of a 100x100 image: left-right asymmetric. */
    private static GreyImage leftBlock() {
        float[] p = new float[100 * 100];
        for (int y = 35; y < 65; y++) {
            for (int x = 5; x < 35; x++) {
                p[y * 100 + x] = 1f;
            }
        }
        return new GreyImage(100, 100, p);
    }

    private static double centroidX(GreyImage mask) {
        double sum = 0;
        int n = 0;
        for (int y = 0; y < mask.height(); y++) {
            for (int x = 0; x < mask.width(); x++) {
                if (mask.get(x, y) > 0.5f) {
                    sum += x;
                    n++;
                }
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Mean image value over pixels whose whole (2r+1)^2 mask neighbourhood is inside, resp. outside. */
    private static double[] coreMeans(GreyImage image, GreyImage mask, int r) {
        double in = 0;
        double out = 0;
        int nIn = 0;
        int nOut = 0;
        for (int y = r; y < mask.height() - r; y++) {
            for (int x = r; x < mask.width() - r; x++) {
                float min = 1;
                float max = 0;
                for (int dy = -r; dy <= r; dy++) {
                    for (int dx = -r; dx <= r; dx++) {
                        min = Math.min(min, mask.get(x + dx, y + dy));
                        max = Math.max(max, mask.get(x + dx, y + dy));
                    }
                }
                if (min == 1f) {
                    in += image.get(x, y);
                    nIn++;
                } else if (max == 0f) {
                    out += image.get(x, y);
                    nOut++;
                }
            }
        }
        return new double[] {in / Math.max(1, nIn), out / Math.max(1, nOut)};
    }
}
