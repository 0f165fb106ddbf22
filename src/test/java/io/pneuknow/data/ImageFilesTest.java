package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
    @TempDir
    Path dir;

    @Test
    void readsEightBitGrey() {
        Path file = TestData.greyPng(dir.resolve("grey.png"), 3, 2, 128);

        GreyImage image = ImageFiles.read(file);

        assertThat(image.width()).isEqualTo(3);
        assertThat(image.height()).isEqualTo(2);
        assertThat(image.pixels()).containsOnly(128 / 255f);
    }

    @Test
    void keepsSixteenBitPrecision() {
        BufferedImage image = new BufferedImage(4, 3, BufferedImage.TYPE_USHORT_GRAY);
        image.getRaster().setSample(1, 2, 0, 1234);
        image.getRaster().setSample(3, 0, 0, 65535);
        Path file = TestData.write(image, "png", dir.resolve("deep.png"));

        GreyImage grey = ImageFiles.read(file);

        assertThat(grey.get(1, 2)).isEqualTo(1234 / 65535f);
        assertThat(grey.get(3, 0)).isEqualTo(1f);
        assertThat(grey.get(0, 0)).isEqualTo(0f);
    }

    @Test
    void turnsRgbAndRgbaIntoLuminance() {
        BufferedImage rgb = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(1, 1, (200 << 16) | (100 << 8) | 50);
        BufferedImage rgba = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 1, (128 << 24) | (200 << 16) | (100 << 8) | 50);

        GreyImage fromRgb = ImageFiles.read(TestData.write(rgb, "png", dir.resolve("rgb.png")));
        GreyImage fromRgba = ImageFiles.read(TestData.write(rgba, "png", dir.resolve("rgba.png")));

        float expected = (0.299f * 200 + 0.587f * 100 + 0.114f * 50) / 255f; // 124.2 / 255
        assertThat(fromRgb.get(1, 1)).isCloseTo(expected, within(1e-6f));
        assertThat(fromRgb.get(0, 0)).isEqualTo(0f);
        assertThat(fromRgba.get(0, 1)).isCloseTo(expected, within(1e-6f));
    }

    @Test
    void readsJpeg() {
        BufferedImage image = new BufferedImage(16, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 16; x++) {
            for (int y = 0; y < 8; y++) {
                image.getRaster().setSample(x, y, 0, 200);
            }
        }
        Path file = TestData.write(image, "jpg", dir.resolve("flat.jpg"));

        GreyImage grey = ImageFiles.read(file);

        assertThat(grey.width()).isEqualTo(16);
        assertThat(grey.get(5, 5)).isCloseTo(200 / 255f, within(2 / 255f));
        assertThat(ImageFiles.dimensions(file)).isEqualTo(new ImageFiles.Dimensions(16, 8));
    }

    @Test
    void readsDimensionsFromHeader() {
        Path file = TestData.greyPng(dir.resolve("wide.png"), 37, 5, 0);

        assertThat(ImageFiles.dimensions(file)).isEqualTo(new ImageFiles.Dimensions(37, 5));
    }

    @Test
    void readsMaskAsZeroOrOne() {
        Path file = TestData.maskPng(dir.resolve("mask.png"), 6, 4, new Box(1, 1, 2, 2));

        GreyImage mask = ImageFiles.readMask(file);

        assertThat(mask.get(1, 1)).isEqualTo(1f);
        assertThat(mask.get(2, 2)).isEqualTo(1f);
        assertThat(mask.get(3, 1)).isEqualTo(0f);
        int inside = 0;
        for (float pixel : mask.pixels()) {
            inside += (int) pixel;
        }
        assertThat(inside).isEqualTo(4);
    }

    @Test
    void namesUndecodableFileAndRemedy() throws Exception {
        Path file = Files.writeString(dir.resolve("broken.png"), "not an image");

        assertThatThrownBy(() -> ImageFiles.read(file))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("broken.png")
                .hasMessageContaining("cannot decode image")
                .hasMessageContaining("re-save it");
        assertThatThrownBy(() -> ImageFiles.dimensions(file)).isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> ImageFiles.read(dir.resolve("absent.png")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("absent.png")
                .hasMessageContaining("not found");
    }

    @Test
    void refusesAJpegCutShort() throws Exception {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        java.util.Random random = new java.util.Random(1);
        for (int x = 0; x < 64; x++) {
            for (int y = 0; y < 64; y++) {
                image.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        byte[] whole = Files.readAllBytes(TestData.write(image, "jpg", dir.resolve("whole.jpg")));
        Path cut = Files.write(dir.resolve("cut.jpg"), java.util.Arrays.copyOf(whole, whole.length / 2));

        assertThatThrownBy(() -> ImageFiles.read(cut))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("cut.jpg")
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> ImageFiles.decode(Files.readAllBytes(cut), "upload"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("upload: cannot decode image (truncated");
        assertThat(ImageFiles.decode(whole, "upload").width()).isEqualTo(64);
    }
}
