package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import io.pneuknow.image.ImageFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is refused, on files dcmtk makes: each with a one-line message that names the file, the
 * problem and a remedy, and never the patient's name, ID or birth date (which every test file holds).
 */
@Tag("heavy")
class DicomRejectionTest {
    private static final int COLUMNS = 6;
    private static final int ROWS = 4;

    @TempDir
    Path dir;

    @BeforeEach
    void needsDcmtk() {
        Dcmtk.require();
    }

    private static int[] values() {
        int[] values = new int[COLUMNS * ROWS];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 97;
        }
        return values;
    }

    private Dcmtk.Dump image() {
        return new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(values()));
    }

    @Test
    void multiFrameImages() {
        int[] two = new int[COLUMNS * ROWS * 2];
        Path file = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(two)).set("(0028,0008)", "IS [2]")
                .write(dir, "cine");

        assertRefused(file, "DICOM image has 2 frames; only single-frame images are read; export the frame you "
                + "want as a 16-bit PNG, e.g. with dcmtk: dcm2pnm +F 1 +on2 in.dcm out.png");
    }

    @Test
    void objectsWithoutPixelData() {
        Path report = image().withoutPixels().set("(0008,0016)", "UI =BasicTextSRStorage").set("(0008,0060)", "CS [SR]")
                .write(dir, "report");

        assertRefused(report, "DICOM object holds no image (no pixel data; SOP class 1.2.840.10008.5.1.4.1.1.88.11, "
                + "a structured report); give a single-frame radiograph (CR or DX image) instead");
    }

    @Test
    void colourImagesOtherThanRgbAndYbrFull() {
        int[] rgb = new int[COLUMNS * ROWS * 3];
        Path partial = new Dcmtk.Dump(COLUMNS, ROWS, 8, Dcmtk.bytes(rgb)).set("(0028,0002)", "US 3")
                .set("(0028,0004)", "CS [YBR_PARTIAL_422]").set("(0028,0006)", "US 0").write(dir, "partial");
        Path argb = new Dcmtk.Dump(COLUMNS, ROWS, 8, Dcmtk.bytes(new int[COLUMNS * ROWS * 4])).set("(0028,0002)", "US 4")
                .set("(0028,0004)", "CS [ARGB]").set("(0028,0006)", "US 0").write(dir, "argb");

        assertRefused(partial, "DICOM colour image (3 samples per pixel) with Photometric Interpretation "
                + "YBR_PARTIAL_422 is not read; only RGB and YBR_FULL (and YBR_FULL_422 in JPEG baseline) are; "
                + "export it as a PNG, e.g. with dcmtk: dcm2pnm +on in.dcm out.png");
        assertRefused(argb, "DICOM image has 4 samples per pixel; only greyscale images (1 sample per pixel) and "
                + "colour ones (3) are read; give the original greyscale radiograph");
    }

    @Test
    void otherTransferSyntaxesNameTheSyntaxAndTheConversion() throws IOException {
        Path original = image().write(dir, "original");
        Path rle = Dcmtk.convert(original, "rle.dcm", "dcmcrle");
        Path jpegLs = Dcmtk.convert(original, "jpegls.dcm", "dcmcjpls");
        Path bigEndian = Dcmtk.convert(original, "big.dcm", "dcmconv", "+tb");
        Path lossless = Dcmtk.convert(original, "lossless.dcm", "dcmcjpeg", "+e1");
        // dcmtk cannot write JPEG 2000; relabel a JPEG lossless file's syntax (same length) to stand for one
        Path jpeg2000 = dir.resolve("j2k.dcm");
        Files.write(jpeg2000, replace(Files.readAllBytes(lossless), "1.2.840.10008.1.2.4.70",
                "1.2.840.10008.1.2.4.90"));
        String only = " is not read; only implicit and explicit VR little endian, JPEG baseline and JPEG lossless"
                + " are; ";

        assertRefused(rle, "DICOM transfer syntax 1.2.840.10008.1.2.5 (RLE Lossless)" + only
                + "decompress it with dcmtk: dcmdrle in.dcm out.dcm");
        assertRefused(jpegLs, "DICOM transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS Lossless)" + only
                + "decompress it with dcmtk: dcmdjpls in.dcm out.dcm");
        assertRefused(bigEndian, "DICOM transfer syntax 1.2.840.10008.1.2.2 (Explicit VR Big Endian (retired))" + only
                + "convert it with dcmtk: dcmconv +te in.dcm out.dcm");
        assertRefused(jpeg2000, "DICOM transfer syntax 1.2.840.10008.1.2.4.90 (JPEG 2000 (Lossless Only))" + only
                + "dcmtk cannot decode JPEG 2000 without a commercial plug-in; decompress it with GDCM "
                + "(gdcmconv --raw in.dcm out.dcm) or export it from the archive uncompressed");
        // the remedies work: dcmtk's own conversions give files that are read, value for value
        for (Path converted : new Path[] {Dcmtk.convert(rle, "rle-back.dcm", "dcmdrle"),
                Dcmtk.convert(jpegLs, "jpegls-back.dcm", "dcmdjpls"),
                Dcmtk.convert(bigEndian, "big-back.dcm", "dcmconv", "+te")}) {
            assertThat(DicomFiles.read(converted).image().pixels())
                    .containsExactly(DicomFiles.read(original).image().pixels());
        }
    }

    @Test
    void filesWithoutThePart10HeaderAndUnreadableLayouts() {
        Path bare = image().write(dir, "bare", "-F"); // data set only, no preamble or meta group
        Path thirtyTwo = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(new int[COLUMNS * ROWS * 2]))
                .set("(0028,0100)", "US 32").set("(0028,0101)", "US 32").set("(0028,0102)", "US 31")
                .write(dir, "thirtytwo");
        Path shortPixels = new Dcmtk.Dump(COLUMNS, ROWS, 16, Dcmtk.words(new int[COLUMNS * ROWS - 2]))
                .write(dir, "short");
        Path palette = image().set("(0028,0004)", "CS [PALETTE COLOR]").write(dir, "palette");

        assertRefused(bare, "not a DICOM Part 10 file (no 'DICM' marker after the 128-byte preamble); write it as a "
                + "Part 10 file, e.g. with dcmtk: dcmconv +F in.dcm out.dcm");
        assertRefused(thirtyTwo, "DICOM Bits Allocated 32 is not read; only 8 and 16 are; export it as a 16-bit PNG, "
                + "e.g. with dcmtk: dcm2pnm +on2 in.dcm out.png");
        assertRefused(shortPixels, "DICOM pixel data holds 44 bytes but 6x4 pixels of 16 bits need 48; the file is "
                + "truncated or corrupt; re-export it from the archive");
        assertRefused(palette, "DICOM Photometric Interpretation PALETTE COLOR with 1 sample per pixel is not read; "
                + "only MONOCHROME1 and MONOCHROME2 greyscale images are (colour: RGB or YBR_FULL with 3 samples); "
                + "export it as a PNG, e.g. with dcmtk: dcm2pnm +on in.dcm out.png");
    }

    @Test
    void truncatedFilesAndTheDataCheck() throws IOException {
        Path good = image().write(dir, "good");
        byte[] bytes = Files.readAllBytes(good);
        Path cut = Files.write(dir.resolve("cut.dcm"), java.util.Arrays.copyOf(bytes, bytes.length - 10));
        Path inHeader = Files.write(dir.resolve("header.dcm"), java.util.Arrays.copyOf(bytes, 300));

        assertRefused(cut, "DICOM file is truncated or corrupt (element (7FE0,0010) declares 48 bytes but only 38 "
                + "remain, at byte ");
        assertRefused(inHeader, "DICOM file is truncated or corrupt (");
        BadInputException viaImageFiles = catchThrowableOfType(BadInputException.class, () -> ImageFiles.read(cut));
        assertThat(viaImageFiles.getMessage()).startsWith(cut + ": DICOM file is truncated or corrupt");
        BadInputException dimensions = catchThrowableOfType(BadInputException.class,
                () -> ImageFiles.dimensions(inHeader));
        assertThat(dimensions.getMessage()).startsWith(inHeader + ": DICOM file is truncated or corrupt");
    }

    @Test
    void noMessageOrHeaderCarriesThePatientsIdentifiers() throws IOException {
        List<String> texts = new ArrayList<>();
        Path good = image().set("(0010,1010)", "AS [045Y]").set("(0010,1000)", "LO [" + Dcmtk.PATIENT_ID + "]")
                .write(dir, "good");
        for (Path file : List.of(good, Dcmtk.convert(good, "lossless.dcm", "dcmcjpeg", "+e1"),
                Dcmtk.convert(good, "implicit.dcm", "dcmconv", "+ti"))) {
            texts.add(DicomFiles.header(file).toString());
            texts.add(DicomFiles.read(file).header().toString());
        }
        List<Path> refused = List.of(
                image().set("(0028,0008)", "IS [3]").write(dir, "frames"),
                image().withoutPixels().write(dir, "nopixels"),
                image().set("(0028,0004)", "CS [YBR_FULL]").write(dir, "ybr"),
                image().set("(0028,0101)", "US 17").write(dir, "layout"),
                Dcmtk.convert(good, "rle.dcm", "dcmcrle"),
                Dcmtk.convert(good, "big.dcm", "dcmconv", "+tb"));
        byte[] bytes = Files.readAllBytes(good);
        for (int length = 0; length < bytes.length; length += 7) {
            Path cut = Files.write(dir.resolve("cut" + length + ".dcm"), java.util.Arrays.copyOf(bytes, length));
            texts.add(message(() -> DicomFiles.read(cut)));
        }
        for (Path file : refused) {
            texts.add(message(() -> DicomFiles.read(file)));
            texts.add(message(() -> DicomFiles.header(file)));
            texts.add(message(() -> ImageFiles.read(file)));
        }

        assertThat(String.join("\n", texts)).contains("DICOM");
        for (String text : texts) {
            Privacy.assertClean(text, text);
        }
        assertThat(new String(bytes, StandardCharsets.US_ASCII)).contains(Dcmtk.PATIENT_NAME, Dcmtk.PATIENT_ID,
                Dcmtk.BIRTH_DATE); // the files do hold them
    }

    private static String message(Runnable read) {
        try {
            read.run();
            return "read";
        } catch (BadInputException e) {
            return e.getMessage();
        }
    }

    private static void assertRefused(Path file, String message) {
        BadInputException error = catchThrowableOfType(BadInputException.class, () -> DicomFiles.read(file));
        assertThat(error).as("%s is refused", file.getFileName()).isNotNull();
        assertThat(error.getMessage()).startsWith(file + ": ").contains(message).doesNotContain("\n");
        Privacy.assertClean(error.getMessage(), file.toString());
    }

    private static byte[] replace(byte[] bytes, String from, String to) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(from);
        assertThat(at).isNotNegative();
        byte[] copy = bytes.clone();
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, copy, at, to.length());
        return copy;
    }
}
