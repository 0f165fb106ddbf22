package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Colour secondary captures (RGB, YBR_FULL, JPEG baseline YBR_FULL_422) become the same grey values as
 * the same pixels saved as an RGB PNG: one luminance conversion for both.
 */
@Tag("heavy")
class DicomColourTest {
    private static final int COLUMNS = 7;
    private static final int ROWS = 5;

    @TempDir
    Path dir;

    @BeforeEach
    void needsDcmtk() {
        Dcmtk.require();
    }

    /** Different red, green and blue per pixel, different along x and y, both ends of the range present. */
    private static int[][] rgb() {
        int[][] rgb = new int[COLUMNS * ROWS][];
        for (int y = 0; y < ROWS; y++) {
            for (int x = 0; x < COLUMNS; x++) {
                int i = y * COLUMNS + x;
                rgb[i] = new int[] {(x * 37 + y * 11) % 256, (x * 5 + y * 53 + 100) % 256, (255 - x * 29 - y * 7 + 256) % 256};
            }
        }
        rgb[0] = new int[] {255, 0, 0};
        rgb[1] = new int[] {0, 255, 0};
        rgb[2] = new int[] {0, 0, 255};
        rgb[3] = new int[] {255, 255, 255};
        return rgb;
    }

    private GreyImage asPng(int[][] rgb) throws Exception {
        BufferedImage image = new BufferedImage(COLUMNS, ROWS, BufferedImage.TYPE_3BYTE_BGR);
        for (int i = 0; i < rgb.length; i++) {
            image.setRGB(i % COLUMNS, i / COLUMNS, rgb[i][0] << 16 | rgb[i][1] << 8 | rgb[i][2]);
        }
        Path png = dir.resolve("colour.png");
        ImageIO.write(image, "png", png.toFile());
        return ImageFiles.read(png);
    }

    /** Samples in colour-by-pixel order (planar configuration 0) or colour-by-plane order (1). */
    private static byte[] samples(int[][] rgb, int planar) {
        int n = rgb.length;
        int[] out = new int[n * 3];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                out[planar == 0 ? 3 * i + k : k * n + i] = rgb[i][k];
            }
        }
        return Dcmtk.bytes(out);
    }

    private Dcmtk.Dump colourDump(byte[] samples, String photometric, int planar) {
        return new Dcmtk.Dump(COLUMNS, ROWS, 8, samples).set("(0008,0016)", "UI =SecondaryCaptureImageStorage")
                .set("(0008,0060)", "CS [OT]").set("(0028,0002)", "US 3").set("(0028,0004)", "CS [" + photometric + "]")
                .set("(0028,0006)", "US " + planar);
    }

    @Test
    void rgbInBothPlanarConfigurationsGivesTheGreyOfTheSameRgbPng() throws Exception {
        int[][] rgb = rgb();
        GreyImage png = asPng(rgb);
        assertThat(png.pixels()[0]).isEqualTo((float) (0.299 * 255 / 255)); // pure red: its weight alone

        for (int planar : new int[] {0, 1}) {
            Path file = colourDump(samples(rgb, planar), "RGB", planar).write(dir, "rgb" + planar);
            DicomImage image = DicomFiles.read(file);

            assertThat(image.image().width()).isEqualTo(COLUMNS);
            assertThat(image.image().height()).isEqualTo(ROWS);
            assertThat(image.image().pixels()).as("planar configuration %d", planar).containsExactly(png.pixels());
            assertThat(ImageFiles.read(file).pixels()).containsExactly(png.pixels());
            assertThat(image.header().photometricInterpretation()).isEqualTo("RGB");
        }
    }

    @Test
    void img2dcmSecondaryCaptureFromABitmapIsRead() throws Exception {
        int[][] rgb = rgb();
        GreyImage png = asPng(rgb);
        BufferedImage bitmap = ImageIO.read(dir.resolve("colour.png").toFile());
        ImageIO.write(bitmap, "bmp", dir.resolve("colour.bmp").toFile());
        Dcmtk.run(dir, "img2dcm", "-i", "BMP", "colour.bmp", "sc.dcm");

        assertThat(ImageFiles.read(dir.resolve("sc.dcm")).pixels()).containsExactly(png.pixels());
    }

    @Test
    void ybrFullNativeUsesItsLuminanceChannel() throws Exception {
        int[][] rgb = rgb();
        GreyImage png = asPng(rgb);
        int[][] ybr = new int[rgb.length][];
        for (int i = 0; i < rgb.length; i++) { // Y as the standard defines it, Cb and Cr anything
            double y = 0.299 * rgb[i][0] + 0.587 * rgb[i][1] + 0.114 * rgb[i][2];
            ybr[i] = new int[] {(int) Math.round(y), (i * 31) % 256, (i * 77) % 256};
        }
        Path file = colourDump(samples(ybr, 0), "YBR_FULL", 0).write(dir, "ybr");

        float[] grey = DicomFiles.read(file).image().pixels();
        for (int i = 0; i < grey.length; i++) {
            assertThat(Math.abs(grey[i] - png.pixels()[i])).as("pixel %d", i).isLessThanOrEqualTo(0.5f / 255 + 1e-6f);
        }
    }

    @Test
    void jpegBaselineColourIsReadWithinTheJpegTolerance() throws Exception {
        int[][] rgb = rgb();
        GreyImage png = asPng(rgb);
        Path original = colourDump(samples(rgb, 0), "RGB", 0).write(dir, "rgb");
        // dcmtk's default stores YCbCr (YBR_FULL_422); +cr stores the RGB components as they are (RGB)
        for (String colour : new String[] {"+cy", "+cr"}) {
            Path jpeg = Dcmtk.convert(original, "jpeg" + colour.substring(1) + ".dcm", "dcmcjpeg", "+eb", "+q", "100",
                    colour);

            DicomImage image = DicomFiles.read(jpeg);

            assertThat(image.header().photometricInterpretation()).isEqualTo(colour.equals("+cy") ? "YBR_FULL_422" : "RGB");
            float[] grey = image.image().pixels();
            double sum = 0;
            for (int i = 0; i < grey.length; i++) {
                sum += Math.abs(grey[i] - png.pixels()[i]);
            }
            assertThat(sum / grey.length).as(colour).isLessThan(3 / 255.0);
        }
    }

    @Test
    void otherColourEncodingsAreStillRefusedWithTheReason() {
        Path partial = colourDump(samples(rgb(), 0), "YBR_PARTIAL_422", 0).write(dir, "partial");
        Path twoSamples = colourDump(samples(rgb(), 0), "RGB", 0).set("(0028,0002)", "US 2").write(dir, "two");

        assertThatThrownBy(() -> DicomFiles.read(partial)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("YBR_PARTIAL_422");
        assertThatThrownBy(() -> DicomFiles.read(twoSamples)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("2 samples per pixel");
    }
}
