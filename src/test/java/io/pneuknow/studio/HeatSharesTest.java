package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.annotate.ReviewState;
import io.pneuknow.annotate.StoredPrediction;
import io.pneuknow.annotate.StoredRegion;
import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The numbers behind the reviewer's disagreement flag on hand-made heat maps and regions whose shares are known, and
 * the heat-map overlay's pixels.
 */
class HeatSharesTest {
    @TempDir
    Path dir;

    @Test
    void theShareInsideAndTheAreaShareOfABoxAreCountedByHand() {
        // 10 x 10 image, heat 1 on the left half (x < 5), 0 on the right; a lesion box x 2..5, y 2..6 (4 x 5 = 20 px)
        GreyImage heat = image(10, 10, (x, y) -> x < 5 ? 1 : 0);
        GreyImage mask = HeatShares.lesionMask(List.of(region(1, "lesion", Geometry.box(2, 2, 4, 5), false, ReviewState.PENDING)),
                10, 10, dir);
        assertThat(mask).isNotNull();
        StoredPrediction p = HeatShares.of("a", "pneumonia", 0.75, heat, mask);
        // inside the box and hot: x 2..4 (3 columns) x 5 rows = 15 of the 50 hot pixels
        assertThat(p.heatInside()).isCloseTo(0.3, within(1e-12));
        assertThat(p.regionArea()).isEqualTo(0.2);
        assertThat(p.heatOutsideRegions()).as("0.3 inside > 0.2 by chance").isFalse();
        assertThat(p.disagreesWith("pneumonia")).isFalse();
        assertThat(p.disagreesWith("normal")).isTrue();

        // the same box moved to the cold half: x 6..9 -> no heat inside
        GreyImage cold = HeatShares.lesionMask(List.of(region(1, "lesion", Geometry.box(6, 2, 4, 5), false, ReviewState.PENDING)),
                10, 10, dir);
        StoredPrediction q = HeatShares.of("a", "pneumonia", 0.75, heat, cold);
        assertThat(q.heatInside()).isEqualTo(0.0);
        assertThat(q.heatOutsideRegions()).isTrue();
        assertThat(q.disagreesWith("pneumonia")).isTrue();
    }

    @Test
    void onlyLiveLesionRegionsCountAndAPolygonCoversThePixelsWhoseCentreIsInside() {
        // a right triangle (0,0) (4,0) (0,4): pixel centres (x+.5, y+.5) with x + y + 1 < 4 -> 6 pixels; x + y + 1 = 4
        // lies on the edge (3 more pixels, which the even-odd rule of Path2D.contains leaves out or in by side)
        Geometry triangle = Geometry.polygon(List.of(new Geometry.Point(0, 0), new Geometry.Point(4, 0), new Geometry.Point(0, 4)));
        GreyImage mask = HeatShares.lesionMask(List.of(region(1, "lesion", triangle, false, ReviewState.ACCEPTED),
                region(2, "anatomy", Geometry.box(5, 5, 3, 3), false, ReviewState.PENDING),
                region(3, "lesion", Geometry.box(8, 0, 2, 2), true, ReviewState.PENDING),
                region(4, "lesion", Geometry.box(8, 8, 2, 2), false, ReviewState.REJECTED)), 10, 10, dir);
        int inside = 0;
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 10; x++) {
                boolean strictlyInside = x + y + 1 < 4;
                boolean outside = x + y + 1 > 4;
                if (strictlyInside) {
                    assertThat(mask.get(x, y)).as("(%d, %d)", x, y).isEqualTo(1f);
                }
                if (outside) {
                    assertThat(mask.get(x, y)).as("(%d, %d)", x, y).isEqualTo(0f);
                }
                inside += mask.get(x, y) > 0 ? 1 : 0;
            }
        }
        assertThat(inside).isBetween(6, 9);
        // without a live lesion region: no mask, no shares
        assertThat(HeatShares.lesionMask(List.of(region(2, "anatomy", Geometry.box(0, 0, 3, 3), false, ReviewState.PENDING),
                region(4, "lesion", Geometry.box(0, 0, 2, 2), false, ReviewState.REJECTED)), 10, 10, dir)).isNull();
        assertThat(HeatShares.lesionMask(List.of(region(5, "lesion", Geometry.box(20, 20, 2, 2), false, ReviewState.PENDING)),
                10, 10, dir)).as("a box outside the image covers nothing").isNull();
        StoredPrediction none = HeatShares.of("a", "normal", 0.5, image(10, 10, (x, y) -> 1), null);
        assertThat(none).isEqualTo(new StoredPrediction("a", "normal", 0.5, null, null));
        // all-zero heat: the share inside is undefined (null), the area stays; not a heat disagreement
        StoredPrediction zero = HeatShares.of("a", "normal", 0.5, image(10, 10, (x, y) -> 0),
                HeatShares.lesionMask(List.of(region(1, "lesion", Geometry.box(0, 0, 5, 2), false, ReviewState.PENDING)), 10, 10, dir));
        assertThat(zero.heatInside()).isNull();
        assertThat(zero.regionArea()).isEqualTo(0.1);
        assertThat(zero.heatOutsideRegions()).isFalse();
    }

    @Test
    void theOverlayHasTheImagesGeometryAndItsOpacityIsTheHeat() throws Exception {
        // 30 x 20 heat: 0 on the left third, 0.5 in the middle, 1 on the right
        GreyImage heat = image(30, 20, (x, y) -> x < 10 ? 0 : x < 20 ? 0.5 : 1);
        for (int side : new int[] {30, 15, 60, 7}) {
            BufferedImage overlay = ImageIO.read(new ByteArrayInputStream(PixelRendering.heatPng(heat, side)));
            BufferedImage grey = ImageIO.read(new ByteArrayInputStream(PixelRendering.png(heat, side, PixelRendering.Window.FULL)));
            assertThat(new int[] {overlay.getWidth(), overlay.getHeight()}).as("size " + side)
                    .containsExactly(grey.getWidth(), grey.getHeight());
        }
        BufferedImage overlay = ImageIO.read(new ByteArrayInputStream(PixelRendering.heatPng(heat, 30)));
        assertThat(overlay.getColorModel().hasAlpha()).isTrue();
        assertThat(argb(overlay, 5, 10)).isEqualTo(new int[] {0, 255, 0, 0}); // no heat: transparent
        assertThat(argb(overlay, 15, 10)).isEqualTo(new int[] {128, 255, 128, 0}); // round(0.5 * 255) = 128
        assertThat(argb(overlay, 25, 10)).isEqualTo(new int[] {255, 255, 255, 0});
        // halved: each output pixel averages 2 x 2; x = 4 covers x 8..9 (0) and x = 5 covers 10..11 (0.5)
        BufferedImage half = ImageIO.read(new ByteArrayInputStream(PixelRendering.heatPng(heat, 15)));
        assertThat(argb(half, 4, 3)[0]).isZero();
        assertThat(argb(half, 5, 3)[0]).isEqualTo(128);
    }

    private static int[] argb(BufferedImage image, int x, int y) {
        int v = image.getRGB(x, y);
        return new int[] {v >>> 24, v >> 16 & 255, v >> 8 & 255, v & 255};
    }

    interface Pixel {
        double at(int x, int y);
    }

    static GreyImage image(int width, int height, Pixel pixel) {
        float[] values = new float[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                values[y * width + x] = (float) pixel.at(x, y);
            }
        }
        return new GreyImage(width, height, values);
    }

    private static StoredRegion region(long id, String type, Geometry geometry, boolean deleted, ReviewState review) {
        return new StoredRegion(id, "a", new RegionDraft(type, "pneumonia", geometry), "ann", 1, deleted, review, null,
                Instant.EPOCH);
    }
}
