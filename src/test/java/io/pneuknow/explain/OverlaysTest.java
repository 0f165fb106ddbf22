package io.pneuknow.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlaysTest {

    private static final int W = 80;
    private static final int H = 60;

    private static GreyImage fill(int w, int h, java.util.function.IntBinaryOperator inside, float in, float out) {
        float[] px = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[y * w + x] = inside.applyAsInt(x, y) != 0 ? in : out;
            }
        }
        return new GreyImage(w, h, px);
    }

    private static int[] rgb(BufferedImage img, int x, int y) {
        int v = img.getRGB(x, y);
        return new int[] {(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
    }

    @Test
    void writesGreyXrayWithColouredHeatAndGreenOutline(@TempDir Path dir) throws Exception {
        // X-ray: a horizontal grey ramp; region: rectangle x 10..29, y 10..29; heat: a disc at (60, 40)
        float[] ramp = new float[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                ramp[y * W + x] = 0.2f + 0.6f * x / (W - 1);
            }
        }
        GreyImage xray = new GreyImage(W, H, ramp);
        GreyImage region = fill(W, H, (x, y) -> x >= 10 && x < 30 && y >= 10 && y < 30 ? 1 : 0, 1f, 0f);
        GreyImage heat = fill(W, H, (x, y) -> Math.hypot(x - 60, y - 40) <= 8 ? 1 : 0, 3f, 0f); // any scale
        Path png = dir.resolve("sub/overlay.png");

        Overlays.write(png, xray, heat, region);

        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(W);
        assertThat(img.getHeight()).isEqualTo(H);
        // the outline: the region's border pixels, green
        for (int[] p : new int[][] {{10, 20}, {29, 20}, {20, 10}, {20, 29}, {10, 10}}) {
            int[] c = rgb(img, p[0], p[1]);
            assertThat(c[1]).as("green at %d,%d", p[0], p[1]).isGreaterThan(c[0] + 100).isGreaterThan(c[2] + 100);
        }
        // far from heat and outline: the X-ray's grey, r = g = b = round(255 v)
        for (int[] p : new int[][] {{2, 2}, {20, 20}, {45, 5}, {79, 0}, {5, 55}}) {
            int[] c = rgb(img, p[0], p[1]);
            int expected = Math.round(ramp[p[1] * W + p[0]] * 255);
            assertThat(c).as("grey at %d,%d", p[0], p[1]).containsExactly(expected, expected, expected);
        }
        // in the heat: colour-mapped (jet's top is red), no longer grey
        int[] hot = rgb(img, 60, 40);
        assertThat(hot[0]).isGreaterThan(hot[1] + 50).isGreaterThan(hot[2] + 50);
        // no temporary file left beside it
        try (Stream<Path> files = Files.list(png.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("overlay.png");
        }
    }

    @Test
    void withoutRegionOrHeatTheXrayStaysGrey(@TempDir Path dir) throws Exception {
        GreyImage xray = fill(W, H, (x, y) -> x < 40 ? 1 : 0, 0.25f, 0.75f);
        Path png = dir.resolve("plain.png");
        Overlays.write(png, xray, GreyImage.blank(W, H), null);
        BufferedImage img = ImageIO.read(png.toFile());
        for (int y = 0; y < H; y += 7) {
            for (int x = 0; x < W; x += 7) {
                int v = Math.round(xray.get(x, y) * 255);
                assertThat(rgb(img, x, y)).containsExactly(v, v, v);
            }
        }
    }

    @Test
    void rejectsMismatchedSizes(@TempDir Path dir) {
        GreyImage xray = GreyImage.blank(W, H);
        assertThatThrownBy(() -> Overlays.write(dir.resolve("x.png"), xray, GreyImage.blank(W, W), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heat");
        assertThatThrownBy(() -> Overlays.write(dir.resolve("x.png"), xray, GreyImage.blank(W, H), GreyImage.blank(H, W)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("region mask");
        assertThat(dir.resolve("x.png")).doesNotExist();
    }
}
