package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decodes DICOM files made by dcmtk from small asymmetric images with known values and checks every
 * pixel: exactly for native and lossless data, within a tolerance for baseline JPEG.
 */
@Tag("heavy")
class DicomReaderTest {
    static final int COLUMNS = 7;
    static final int ROWS = 5;

    @TempDir
    Path dir;

    @BeforeEach
    void needsDcmtk() {
        Dcmtk.require();
    }

    /** 16-bit values over the whole range 0..65535, different along x and y (a transposed read would not match). */
    static int[] fullRange16() {
        int[] values = new int[COLUMNS * ROWS];
        for (int y = 0; y < ROWS; y++) {
            for (int x = 0; x < COLUMNS; x++) {
                values[y * COLUMNS + x] = (x * 9001 + y * 13007 + x * y * 311) % 65536;
            }
        }
        values[3] = 65535;
        return values;
    }

    /** 12-bit values 0..4095 (both ends present). */
    static int[] twelveBit() {
        int[] values = new int[COLUMNS * ROWS];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i * 517 + (i / COLUMNS) * 89) % 4096;
        }
        values[5] = 4095;
        values[0] = 0;
        return values;
    }

    @Test
    void nativeSixteenBitInExplicitAndImplicitVrKeepsEveryValue() {
        int[] values = fullRange16();
        Dcmtk.Dump dump = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values));
        Path explicit = dump.write(dir, "explicit");
        Path implicit = dump.write(dir, "implicit", "+ti");

        for (Path file : new Path[] {explicit, implicit}) {
            DicomImage image = DicomFiles.read(file);
            assertThat(image.image().width()).isEqualTo(COLUMNS);
            assertThat(image.image().height()).isEqualTo(ROWS);
            assertPixels(image.image(), values, v -> v / 65535.0, 0);
        }
        assertThat(DicomFiles.header(implicit).transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2");
        assertThat(DicomFiles.header(explicit).transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.1");
        assertThat(DicomFiles.read(explicit).image().get(6, 0)).isEqualTo((float) (values[6] / 65535.0));
        assertThat(DicomFiles.read(explicit).image().get(0, 4)).isEqualTo((float) (values[28] / 65535.0));
    }

    @Test
    void eightBitIsStretchedOverItsStoredRangeWithoutAWindow() {
        int[] values = new int[COLUMNS * ROWS];
        for (int i = 0; i < values.length; i++) {
            values[i] = 10 + (i * 37) % 191;
        }
        values[4] = 200; // range 10..200
        Path file = new Dcmtk.Dump(COLUMNS, ROWS, 8, Dcmtk.bytes(values)).write(dir, "eight");

        assertPixels(DicomFiles.read(file).image(), values, v -> (v - 10) / 190.0, 0);
    }

    @Test
    void bitsStoredTwelveIgnoresBitsAboveTheHighBitAndHonoursAShiftedHighBit() {
        int[] values = twelveBit();
        int[] dirty = values.clone();
        for (int i = 0; i < dirty.length; i += 3) {
            dirty[i] |= 0xA000; // overlay bits above bit 11
        }
        Path low = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(dirty))
                .set("(0028,0101)", "US 12").set("(0028,0102)", "US 11").write(dir, "low");
        int[] shifted = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            shifted[i] = values[i] << 4 | (i % 16); // stored in bits 4..15, junk below
        }
        Path high = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(shifted))
                .set("(0028,0101)", "US 12").set("(0028,0102)", "US 15").write(dir, "high");

        for (Path file : new Path[] {low, high}) {
            DicomImage image = DicomFiles.read(file);
            assertThat(image.header().bitsStored()).isEqualTo(12);
            assertPixels(image.image(), values, v -> v / 4095.0, 0);
        }
    }

    @Test
    void signedValuesAreSignExtendedThenRescaled() {
        int[] values = new int[COLUMNS * ROWS];
        int[] stored = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i * 613) % 4096 - 2048; // -2048..2047
            stored[i] = i % 2 == 0 ? values[i] & 0xFFF : values[i] & 0xFFFF; // 12-bit, sign bits above present or not
        }
        Path file = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(stored))
                .set("(0028,0101)", "US 12").set("(0028,0102)", "US 11").set("(0028,0103)", "US 1")
                .set("(0028,1053)", "DS [2.5]").set("(0028,1052)", "DS [-100]").write(dir, "signed");
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int v : values) {
            min = Math.min(min, v * 2.5 - 100);
            max = Math.max(max, v * 2.5 - 100);
        }
        double lo = min;
        double range = max - min;

        assertPixels(DicomFiles.read(file).image(), values, v -> (v * 2.5 - 100 - lo) / range, 1e-6);
    }

    @Test
    void firstVoiWindowIsAppliedToRescaledValuesByTheLinearFunction() {
        int[] values = twelveBit();
        // rescaled value m = 0.5 v - 1024 spans -1024..1023.5; the window centre 0, width 801 clips both ends
        Dcmtk.Dump dump = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values))
                .set("(0028,0101)", "US 12").set("(0028,0102)", "US 11")
                .set("(0028,1053)", "DS [0.5]").set("(0028,1052)", "DS [-1024]")
                .set("(0028,1050)", "DS [0\\900]").set("(0028,1051)", "DS [801\\50]");
        DoubleUnaryOperator linear = v -> clamp((0.5 * v - 1024 - (0 - 0.5)) / (801 - 1) + 0.5);

        GreyImage image = DicomFiles.read(dump.write(dir, "window")).image();

        assertPixels(image, values, linear, 1e-6);
        assertThat(image.pixels()).contains(0f, 1f); // both ends clipped
        GreyImage exact = DicomFiles.read(dump.set("(0028,1056)", "CS [LINEAR_EXACT]").write(dir, "exact")).image();
        assertPixels(exact, values, v -> clamp((0.5 * v - 1024) / 801 + 0.5), 1e-6);
        GreyImage sigmoid = DicomFiles.read(dump.set("(0028,1056)", "CS [SIGMOID]").write(dir, "sigmoid")).image();
        assertPixels(sigmoid, values, v -> 1 / (1 + Math.exp(-4 * (0.5 * v - 1024) / 801)), 1e-6);
    }

    @Test
    void monochromeOneIsInvertedAfterTheWindowOrTheFullRange() {
        int[] values = twelveBit();
        Dcmtk.Dump dump = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values))
                .set("(0028,0101)", "US 12").set("(0028,0102)", "US 11").set("(0028,0004)", "CS [MONOCHROME1]");

        DicomImage full = DicomFiles.read(dump.write(dir, "m1"));
        GreyImage windowed = DicomFiles.read(dump.set("(0028,1050)", "DS [2048]").set("(0028,1051)", "DS [1025]")
                .write(dir, "m1window")).image();

        assertThat(full.header().photometricInterpretation()).isEqualTo("MONOCHROME1");
        assertPixels(full.image(), values, v -> 1 - v / 4095.0, 1e-6);
        assertPixels(windowed, values, v -> 1 - clamp((v - 2047.5) / 1024 + 0.5), 1e-6);
    }

    @Test
    void jpegLosslessDecodesSixteenAndTwelveBitsExactly() {
        int[] sixteen = fullRange16();
        Path native16 = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(sixteen)).write(dir, "n16");
        int[] twelve = twelveBit();
        Path native12 = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(twelve))
                .set("(0028,0101)", "US 12").set("(0028,0102)", "US 11")
                .set("(0028,0004)", "CS [MONOCHROME1]").set("(0028,1052)", "DS [-1000]").write(dir, "n12");

        Path sv1 = Dcmtk.convert(native16, "sv1.dcm", "dcmcjpeg", "+e1");
        Path predictor6 = Dcmtk.convert(native16, "p6.dcm", "dcmcjpeg", "+el", "+sv", "6");
        Path twelveSv1 = Dcmtk.convert(native12, "sv1-12.dcm", "dcmcjpeg", "+e1");
        Path twelvePredictor4 = Dcmtk.convert(native12, "p4-12.dcm", "dcmcjpeg", "+el", "+sv", "4");

        assertThat(DicomFiles.header(sv1).transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.4.70");
        assertThat(DicomFiles.header(predictor6).transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.4.57");
        for (Path file : new Path[] {sv1, predictor6}) {
            assertPixels(DicomFiles.read(file).image(), sixteen, v -> v / 65535.0, 0);
        }
        for (Path file : new Path[] {twelveSv1, twelvePredictor4}) {
            assertPixels(DicomFiles.read(file).image(), twelve, v -> 1 - v / 4095.0, 1e-6);
        }
    }

    @Test
    void jpegLosslessMatchesTheUncompressedFileOnRandomImages() {
        Random random = new Random(20240611);
        for (int k = 0; k < 12; k++) {
            int columns = 1 + random.nextInt(40);
            int rows = 1 + random.nextInt(40);
            int bits = new int[] {8, 10, 12, 16}[k % 4];
            int predictor = 1 + random.nextInt(7);
            boolean smooth = random.nextBoolean();
            int[] values = new int[columns * rows];
            for (int i = 0; i < values.length; i++) {
                int x = i % columns;
                int y = i / columns;
                int max = (1 << bits) - 1;
                values[i] = smooth ? Math.min(max, (x * 37 + y * 53 + random.nextInt(40)) * max / 3700)
                        : random.nextInt(1 << bits);
            }
            int allocated = bits == 8 ? 8 : 16;
            byte[] pixels = allocated == 8 ? Dcmtk.bytes(values) : Dcmtk.words(values);
            Path original = new Dcmtk.Dump(columns, rows, allocated, pixels)
                    .set("(0028,0101)", "US " + bits).set("(0028,0102)", "US " + (bits - 1)).write(dir, "random" + k);
            Path lossless = Dcmtk.convert(original, "random" + k + "-jpeg.dcm", "dcmcjpeg", "+el", "+sv",
                    String.valueOf(predictor));

            assertThat(DicomFiles.read(lossless).image().pixels())
                    .as("%dx%d, %d bits, predictor %d, %s", columns, rows, bits, predictor, smooth ? "smooth" : "noise")
                    .containsExactly(DicomFiles.read(original).image().pixels());
        }
    }

    @Test
    void jpegBaselineDecodesWithinTolerance() {
        int columns = 32;
        int rows = 24;
        int[] values = new int[columns * rows];
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < columns; x++) {
                values[y * columns + x] = 20 + x * 5 + y * 2; // smooth: 20..221
            }
        }
        Path original = new Dcmtk.Dump(columns, rows, 8, Dcmtk.bytes(values))
                .set("(0028,1050)", "DS [128]").set("(0028,1051)", "DS [256]").write(dir, "smooth");
        Path baseline = Dcmtk.convert(original, "baseline.dcm", "dcmcjpeg", "+eb", "+q", "95");

        DicomImage image = DicomFiles.read(baseline);

        assertThat(image.header().transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.4.50");
        assertThat(image.image().width()).isEqualTo(columns);
        DoubleUnaryOperator window = v -> clamp((v - 127.5) / 255 + 0.5);
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            double error = Math.abs(image.image().pixels()[i] - window.applyAsDouble(values[i]));
            assertThat(error).as("pixel %d", i).isLessThan(6 / 255.0);
            sum += error;
        }
        assertThat(sum / values.length).isLessThan(2 / 255.0);
    }

    @Test
    void headerFactsForAnInputGuard() {
        int[] values = twelveBit();
        Dcmtk.Dump dump = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values))
                .set("(0010,1010)", "AS [045Y]").set("(0018,0015)", "CS [CHEST]").set("(0008,0060)", "CS [CR]");

        DicomHeader adult = DicomFiles.header(dump.write(dir, "adult"));
        DicomHeader child = DicomFiles.header(dump.set("(0010,1010)", "AS [006M]").set("(0018,5101)", "CS [LL]")
                .write(dir, "child"));
        DicomHeader byOrientation = DicomFiles.header(dump.set("(0018,5101)", null).set("(0010,1010)", null)
                .set("(0020,0020)", "CS [P\\F]").write(dir, "orientation"));

        assertThat(adult).isEqualTo(new DicomHeader("CR", "PA", null, "CHEST", 45.0, ROWS, COLUMNS, 16, "MONOCHROME2",
                "1.2.840.10008.1.2.1", "1.2.840.10008.5.1.4.1.1.1.1"));
        assertThat(adult.lateralView()).isFalse();
        assertThat(adult.paediatric()).isFalse();
        assertThat(child.patientAgeYears()).isEqualTo(0.5);
        assertThat(child.paediatric()).isTrue();
        assertThat(child.lateralView()).isTrue();
        assertThat(byOrientation.patientAgeYears()).isNull();
        assertThat(byOrientation.paediatric()).isFalse();
        assertThat(byOrientation.lateralView()).isTrue();
    }

    @Test
    void codeStringsInMixedCaseAreReadUpperCased() {
        Dcmtk.Dump dump = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(twelveBit())).set("(0008,0060)", "CS [dx]");

        DicomHeader chest = DicomFiles.header(dump.set("(0018,0015)", "CS [Chest]").write(dir, "chest"));
        DicomHeader knee = DicomFiles.header(dump.set("(0018,0015)", "CS [knee ]").write(dir, "knee"));
        DicomHeader freeText = DicomFiles.header(dump.set("(0018,0015)", "CS [Chest (PA), 2 views]").write(dir, "free"));

        assertThat(chest.bodyPartExamined()).isEqualTo("CHEST");
        assertThat(chest.modality()).isEqualTo("DX");
        assertThat(knee.bodyPartExamined()).isEqualTo("KNEE");
        assertThat(freeText.bodyPartExamined()).isNull(); // not a code string: free text stays out
    }

    @Test
    void stepsOverSequencesDcmtkWritesWithDefinedAndUndefinedLengths() {
        int[] values = fullRange16();
        Dcmtk.Dump dump = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values)).raw(
                "(0008,1140) SQ (Sequence)",
                "  (fffe,e000) na (Item)",
                "    (0008,1150) UI [1.2.3]",
                "    (0008,1199) SQ (Sequence)",
                "      (fffe,e000) na (Item)",
                "        (0010,0010) PN [" + Dcmtk.PATIENT_NAME + "]",
                "        (0028,0010) US 999",
                "      (fffe,e00d) na (ItemDelimitationItem)",
                "      (fffe,e000) na (Item)",
                "      (fffe,e00d) na (ItemDelimitationItem)",
                "    (fffe,e0dd) na (SequenceDelimitationItem)",
                "  (fffe,e00d) na (ItemDelimitationItem)",
                "(fffe,e0dd) na (SequenceDelimitationItem)");

        for (String[] options : new String[][] {{"+e"}, {"-e"}, {"-e", "+ti"}, {"+e", "+ti"}}) {
            Path file = dump.write(dir, "sequences" + String.join("", options).replace('+', 'p').replace('-', 'm'),
                    options);
            DicomImage image = DicomFiles.read(file);
            assertThat(image.header().rows()).isEqualTo(ROWS);
            assertPixels(image.image(), values, v -> v / 65535.0, 0);
        }
    }

    @Test
    void imageFilesReadsDicomByExtensionOrPreamble() throws Exception {
        int[] values = fullRange16();
        Path file = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values)).write(dir, "scan");
        Path noExtension = Files.copy(file, dir.resolve("IM000001"));

        for (Path path : new Path[] {file, noExtension}) {
            assertThat(DicomFiles.isDicom(path)).isTrue();
            assertThat(ImageFiles.dimensions(path)).isEqualTo(new ImageFiles.Dimensions(COLUMNS, ROWS));
            assertPixels(ImageFiles.read(path), values, v -> v / 65535.0, 0);
        }
        assertThat(DicomFiles.isDicom(dir.resolve("scan.dump"))).isFalse();
    }

    @Test
    void dataCheckReadsDicomImagesAndReportsTheUnreadableOnes() throws Exception {
        Path good = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(fullRange16())).write(dir, "good");
        Dcmtk.convert(good, "lossless.dcm", "dcmcjpeg", "+e1");
        new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(new int[COLUMNS * ROWS * 2])).set("(0028,0008)", "IS [2]")
                .write(dir, "frames");
        Files.writeString(dir.resolve("labels.csv"), String.join("\n", "image_id,file,class,patient_id",
                "a,good.dcm,covid,p1", "b,lossless.dcm,healthy,p2") + "\n");

        Dataset dataset = DatasetLoader.load(DataSpec.of(dir));

        assertThat(dataset.samples()).extracting(Sample::imageId).containsExactly("a", "b");
        Files.writeString(dir.resolve("labels.csv"), "c,frames.dcm,covid,p3\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> DatasetLoader.load(DataSpec.of(dir)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("labels.csv row 3: " + dir.resolve("frames.dcm")
                        + ": DICOM image has 2 frames; only single-frame images are read");
    }

    static double clamp(double y) {
        return Math.max(0, Math.min(1, y));
    }

    static void assertPixels(GreyImage image, int[] values, DoubleUnaryOperator expected, double tolerance) {
        assertThat(image.pixels()).hasSize(values.length);
        for (int i = 0; i < values.length; i++) {
            float want = (float) expected.applyAsDouble(values[i]);
            if (tolerance == 0) {
                assertThat(image.pixels()[i]).as("pixel %d (value %d)", i, values[i]).isEqualTo(want);
            } else {
                assertThat((double) image.pixels()[i]).as("pixel %d (value %d)", i, values[i])
                        .isCloseTo(want, within(tolerance));
            }
        }
    }
}
