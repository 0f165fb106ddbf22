package io.pneuknow.transform;

import static io.pneuknow.transform.TestImages.box;
import static io.pneuknow.transform.TestImages.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import io.pneuknow.data.Box;
import io.pneuknow.data.Region;
import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoiMaskTest {
    private static final Function<Path, GreyImage> NO_MASKS = p -> {
        throw new AssertionError("no mask should be read: " + p);
    };

    /** Reads an 8-bit grey PNG with ImageIO. */
    private static final Function<Path, GreyImage> PNG_READER = path -> {
        try {
            BufferedImage img = ImageIO.read(path.toFile());
            float[] p = new float[img.getWidth() * img.getHeight()];
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    p[y * img.getWidth() + x] = img.getRaster().getSample(x, y, 0) / 255f;
                }
            }
            return new GreyImage(img.getWidth(), img.getHeight(), p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    };

    /** Writes a grey PNG whose nonzero pixels are the given inclusive rectangle [x0,x1] x [y0,y1]. */
    private static Path writeMask(Path dir, String name, int w, int h, int x0, int y0, int x1, int y1, int value)
            throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                img.getRaster().setSample(x, y, 0, value);
            }
        }
        Path file = dir.resolve(name);
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    /** Asserts the mask is exactly 1 on the inclusive rectangle and 0 elsewhere. */
    private static void assertRect(GreyImage mask, int x0, int y0, int x1, int y1) {
        for (int y = 0; y < mask.height(); y++) {
            for (int x = 0; x < mask.width(); x++) {
                boolean inside = x >= x0 && x <= x1 && y >= y0 && y <= y1;
                assertThat(mask.get(x, y)).as("(%d,%d)", x, y).isEqualTo(inside ? 1f : 0f);
            }
        }
    }

    @Test
    void boxGivesExactlyItsPixels() {
        GreyImage mask = RoiMask.build(sample(box(2, 3, 4, 2)), 10, 8, 0, NO_MASKS);
        assertThat(mask.width()).isEqualTo(10);
        assertThat(mask.height()).isEqualTo(8);
        assertRect(mask, 2, 3, 5, 4);
    }

    @Test
    void marginGrowsBoxOnEverySide() {
        GreyImage mask = RoiMask.build(sample(box(2, 3, 4, 2)), 10, 8, 1, NO_MASKS);
        assertRect(mask, 1, 2, 6, 5);
    }

    @Test
    void marginIsClippedAtTheBorders() {
        GreyImage topLeft = RoiMask.build(sample(box(0, 1, 2, 2)), 10, 8, 3, NO_MASKS);
        assertRect(topLeft, 0, 0, 4, 5);
        GreyImage bottomRight = RoiMask.build(sample(box(8, 6, 2, 2)), 10, 8, 2, NO_MASKS);
        assertRect(bottomRight, 6, 4, 9, 7);
    }

    @Test
    void noRegionsGiveAnEmptyMask() {
        GreyImage mask = RoiMask.build(sample(), 7, 5, 4, NO_MASKS);
        assertThat(mask.pixels()).hasSize(35).containsOnly(0f);
    }

    @Test
    void unionOfSeveralBoxes() {
        GreyImage mask = RoiMask.build(sample(box(0, 0, 2, 2), box(1, 1, 2, 2), box(6, 4, 1, 1)), 8, 6, 0, NO_MASKS);
        String expected = ""
                + "11000000"
                + "11100000"
                + "01100000"
                + "00000000"
                + "00000010"
                + "00000000";
        assertThat(render(mask)).isEqualTo(expected);
    }

    @Test
    void maskFileIsUsedWhereAvailable(@TempDir Path dir) throws IOException {
        // mask covers [3,5] x [2,3] with value 1 (not 255): nonzero means inside; its box is larger
        Path file = writeMask(dir, "m.png", 12, 9, 3, 2, 5, 3, 1);
        Region region = new Region("lesion", "opacity", new Box(1, 1, 8, 6), file, "test mask");
        GreyImage mask = RoiMask.build(sample(region), 12, 9, 0, PNG_READER);
        assertRect(mask, 3, 2, 5, 3);
    }

    @Test
    void boxShapeUsesTheBoxEvenWithAMask(@TempDir Path dir) throws IOException {
        Path file = writeMask(dir, "m.png", 12, 9, 3, 2, 5, 3, 255);
        Region region = new Region("lesion", "opacity", new Box(1, 1, 8, 6), file, "test mask");
        GreyImage mask = RoiMask.build(sample(region), 12, 9, 0, RoiShape.BOX, NO_MASKS);
        assertRect(mask, 1, 1, 8, 6);
        Region maskOnly = new Region("lesion", "opacity", null, file, "mask only");
        assertRect(RoiMask.build(sample(maskOnly), 12, 9, 1, RoiShape.BOX, PNG_READER), 2, 1, 6, 4);
    }

    @Test
    void maskMarginDilatesWithASquareKernel(@TempDir Path dir) throws IOException {
        Path dot = writeMask(dir, "dot.png", 12, 9, 5, 4, 5, 4, 255);
        Region region = new Region("lesion", "opacity", null, dot, "dot");
        assertRect(RoiMask.build(sample(region), 12, 9, 2, PNG_READER), 3, 2, 7, 6);
        // clipped at the border, same as a box
        Path corner = writeMask(dir, "corner.png", 12, 9, 0, 0, 1, 1, 255);
        Region cornerRegion = new Region("lesion", "opacity", new Box(0, 0, 2, 2), corner, "corner");
        GreyImage fromMask = RoiMask.build(sample(cornerRegion), 12, 9, 2, PNG_READER);
        GreyImage fromBox = RoiMask.build(sample(cornerRegion), 12, 9, 2, RoiShape.BOX, NO_MASKS);
        assertRect(fromMask, 0, 0, 3, 3);
        assertThat(fromMask.pixels()).isEqualTo(fromBox.pixels());
    }

    @Test
    void unionOfMaskAndBox(@TempDir Path dir) throws IOException {
        Path file = writeMask(dir, "m.png", 6, 4, 0, 0, 1, 0, 255);
        Region fromMask = new Region("lesion", "opacity", null, file, "mask");
        GreyImage mask = RoiMask.build(sample(fromMask, box(4, 2, 2, 2)), 6, 4, 0, PNG_READER);
        assertThat(render(mask)).isEqualTo("110000" + "000000" + "000011" + "000011");
    }

    @Test
    void maskOfWrongSizeIsBadInput(@TempDir Path dir) throws IOException {
        Path file = writeMask(dir, "small.png", 5, 5, 0, 0, 1, 1, 255);
        Region region = new Region("lesion", "opacity", null, file, "regions.csv row 3");
        assertThatThrownBy(() -> RoiMask.build(sample(region), 12, 9, 0, PNG_READER))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("small.png").hasMessageContaining("5x5").hasMessageContaining("12x9");
    }

    @Test
    void applyZeroesExactlyTheOutside() {
        float[] p = new float[6 * 4];
        for (int i = 0; i < p.length; i++) {
            p[i] = (i + 1) / 30f;
        }
        GreyImage image = new GreyImage(6, 4, p);
        GreyImage mask = RoiMask.build(sample(box(1, 1, 3, 2)), 6, 4, 0, NO_MASKS);
        GreyImage roi = RoiMask.apply(image, mask);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                float expected = mask.get(x, y) == 1f ? image.get(x, y) : 0f;
                assertThat(roi.get(x, y)).as("(%d,%d)", x, y).isEqualTo(expected);
            }
        }
        assertThat(TestImages.count(roi)).isEqualTo(6);
        assertThat(image.pixels()[0]).isEqualTo(1 / 30f); // input untouched
    }

    @Test
    void shapeParsing() {
        assertThat(RoiShape.parse("Mask")).isEqualTo(RoiShape.MASK);
        assertThat(RoiShape.parse("box")).isEqualTo(RoiShape.BOX);
        assertThatThrownBy(() -> RoiShape.parse("circle")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("circle").hasMessageContaining("mask, box");
    }

    private static String render(GreyImage mask) {
        StringBuilder s = new StringBuilder();
        for (float v : mask.pixels()) {
            s.append(v == 1f ? '1' : v == 0f ? '0' : '?');
        }
        return s.toString();
    }
}
