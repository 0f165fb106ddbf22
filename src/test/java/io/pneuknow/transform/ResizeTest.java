package io.pneuknow.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.image.GreyImage;
import org.junit.jupiter.api.Test;

class ResizeTest {
    @Test
    void shrinkingAveragesAreas() {
        GreyImage image = new GreyImage(4, 2, new float[] {
            0.0f, 0.2f, 0.4f, 0.4f,
            0.4f, 0.2f, 1.0f, 0.2f});
        GreyImage half = Resize.to(image, 2, 1);
        assertThat(half.pixels()[0]).isCloseTo(0.2f, within(1e-6f));
        assertThat(half.pixels()[1]).isCloseTo(0.5f, within(1e-6f));
    }

    @Test
    void enlargingInterpolatesLinearly() {
        GreyImage image = new GreyImage(2, 1, new float[] {0.0f, 1.0f});
        GreyImage wide = Resize.to(image, 4, 1);
        // pixel centres of the 4-wide image map to x = -0.25, 0.25, 0.75, 1.25 (clamped at the ends)
        assertThat(wide.pixels()).containsExactly(new float[] {0f, 0.25f, 0.75f, 1f}, within(1e-6f));
    }

    @Test
    void maskStaysStrictlyBinary() {
        float[] p = new float[9 * 9];
        for (int y = 2; y < 7; y++) {
            for (int x = 3; x < 6; x++) {
                p[y * 9 + x] = 1f;
            }
        }
        GreyImage mask = new GreyImage(9, 9, p);
        for (int[] size : new int[][] {{4, 4}, {13, 7}, {30, 30}, {9, 9}}) {
            GreyImage out = Resize.maskTo(mask, size[0], size[1]);
            assertThat(out.width()).isEqualTo(size[0]);
            assertThat(out.pixels()).containsOnly(0f, 1f).contains(1f, 0f);
        }
        // enlarging by 2: the centre of the region is inside, a corner far away is outside
        GreyImage big = Resize.maskTo(mask, 18, 18);
        assertThat(big.get(9, 9)).isEqualTo(1f);
        assertThat(big.get(0, 0)).isEqualTo(0f);
        assertThat(TestImages.count(big)).isBetween(48, 72); // about 6 x 10;
    }

    @Test
    void sixteenBitValuesSurviveUnquantised() {
        int w = 64;
        int h = 32;
        float[] p = new float[w * h];
        for (int i = 0; i < p.length; i++) {
            p[i] = (20000 + i) / 65535f; // 2048 distinct levels within ~8 eight-bit steps
        }
        GreyImage image = new GreyImage(w, h, p);
        assertThat(Resize.to(image, w, h).pixels()).isEqualTo(p);
        // a real resize keeps sub-1/255 detail: far more distinct values than 8-bit levels in range
        GreyImage smaller = Resize.to(image, 32, 16);
        long distinct = new java.util.HashSet<>(java.util.Arrays.asList(box(smaller.pixels()))).size();
        assertThat(distinct).isGreaterThan(400);
        for (float v : smaller.pixels()) {
            assertThat(v * 255f - Math.round(v * 255f)).isNotCloseTo(0f, within(1e-6f));
        }
    }

    private static Float[] box(float[] values) {
        Float[] boxed = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }
}
