package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import io.pneuknow.image.GreyImage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The file structure on hand-written bytes (runs without dcmtk): both little-endian VR encodings,
 * sequences the reader must step over, and structural faults.
 */
class DicomStructureTest {
    private static final int COLUMNS = 4;
    private static final int ROWS = 3;
    /** Asymmetric, and spanning 0..65535 so that the full-range mapping is v / 65535. */
    private static final int[] SAMPLES = {0, 1, 2, 65535, 300, 40000, 7, 8, 1000, 12345, 54321, 65534};

    @Test
    void readsExplicitAndImplicitLittleEndianValueForValue() {
        for (String syntax : new String[] {DicomBytes.EXPLICIT, DicomBytes.IMPLICIT}) {
            byte[] file = DicomBytes.withPatient(syntax).pixels16(COLUMNS, ROWS, SAMPLES).build();

            DicomImage image = DicomFiles.read(file, "hand.dcm");

            assertThat(image.header().columns()).isEqualTo(COLUMNS);
            assertThat(image.header().rows()).isEqualTo(ROWS);
            assertThat(image.header().transferSyntaxUid()).isEqualTo(syntax);
            assertExactly(image.image(), SAMPLES, 65535);
        }
    }

    @Test
    void stepsOverSequencesOfUndefinedLengthIncludingUnknownVrWithImplicitContent() {
        DicomBytes file = DicomBytes.withPatient(DicomBytes.EXPLICIT);
        // (0008,1140) SQ, undefined length: an undefined-length item holding a nested SQ with a
        // defined-length item, then an empty defined-length item
        file.header(0x00081140, "SQ", DicomBytes.UNDEFINED).item(0xFFFEE000, DicomBytes.UNDEFINED);
        file.text(0x00081150, "UI", "1.2.3");
        file.header(0x00081199, "SQ", DicomBytes.UNDEFINED);
        byte[] inner = new DicomBytes(DicomBytes.EXPLICIT).us(0x00280010, 999).text(0x00100010, "PN", "X^Y").bytes();
        file.item(0xFFFEE000, inner.length).raw(inner).item(0xFFFEE0DD, 0);
        file.item(0xFFFEE00D, 0).item(0xFFFEE000, 0).item(0xFFFEE0DD, 0);
        // a private element of VR UN with undefined length: its content is implicit VR
        file.header(0x00091010, "UN", DicomBytes.UNDEFINED).item(0xFFFEE000, DicomBytes.UNDEFINED);
        file.raw(new DicomBytes(DicomBytes.IMPLICIT).us(0x00280011, 999)
                .header(0x00091020, "UN", DicomBytes.UNDEFINED).item(0xFFFEE0DD, 0).bytes());
        file.item(0xFFFEE00D, 0).item(0xFFFEE0DD, 0);
        // a defined-length sequence whose item holds Rows 999
        byte[] item = new DicomBytes(DicomBytes.EXPLICIT).us(0x00280010, 999).bytes();
        file.header(0x00180012, "SQ", item.length + 8).item(0xFFFEE000, item.length).raw(item);
        file.pixels16(COLUMNS, ROWS, SAMPLES);

        DicomImage image = DicomFiles.read(file.build(), "sequences.dcm");

        assertThat(image.header().rows()).isEqualTo(ROWS);
        assertThat(image.header().columns()).isEqualTo(COLUMNS);
        assertExactly(image.image(), SAMPLES, 65535);
    }

    @Test
    void stepsOverSequencesInImplicitVr() {
        DicomBytes file = DicomBytes.withPatient(DicomBytes.IMPLICIT);
        file.header(0x00081140, "SQ", DicomBytes.UNDEFINED).item(0xFFFEE000, DicomBytes.UNDEFINED);
        file.us(0x00280010, 999);
        file.header(0x00081199, "SQ", DicomBytes.UNDEFINED).item(0xFFFEE000, DicomBytes.UNDEFINED)
                .us(0x00280011, 999).item(0xFFFEE00D, 0).item(0xFFFEE0DD, 0);
        file.item(0xFFFEE00D, 0).item(0xFFFEE0DD, 0);
        file.pixels16(COLUMNS, ROWS, SAMPLES);

        DicomImage image = DicomFiles.read(file.build(), "implicit.dcm");

        assertThat(image.header().rows()).isEqualTo(ROWS);
        assertExactly(image.image(), SAMPLES, 65535);
    }

    @Test
    void refusesSequencesNestedBeyondTheCap() {
        DicomBytes file = DicomBytes.withPatient(DicomBytes.EXPLICIT);
        for (int depth = 0; depth < 40; depth++) {
            file.header(0x00081140, "SQ", DicomBytes.UNDEFINED).item(0xFFFEE000, DicomBytes.UNDEFINED);
        }
        file.pixels16(COLUMNS, ROWS, SAMPLES);

        assertThatThrownBy(() -> DicomFiles.read(file.build(), "deep.dcm"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("deep.dcm: DICOM file is truncated or corrupt "
                        + "(sequences nested deeper than 16 levels");
    }

    @Test
    void refusesStructuralFaultsWithTheirReason() {
        assertRefused(new byte[10], "not a DICOM Part 10 file (no 'DICM' marker");
        byte[] spacePadded = DicomBytes.withPatient(DicomBytes.EXPLICIT).pixels16(COLUMNS, ROWS, SAMPLES).build();
        replace(spacePadded, "1.2.840.10008.1.2.1\0", "1.2.840.10008.1.2.1 "); // still the UID after trimming
        assertThat(DicomFiles.read(spacePadded, "x").header().transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.1");
        byte[] badUid = DicomBytes.withPatient(DicomBytes.EXPLICIT).pixels16(COLUMNS, ROWS, SAMPLES).build();
        replace(badUid, "1.2.840.10008.1.2.1\0", "1.2.840.10008.1.2.X\0");
        assertRefused(badUid, "DICOM transfer syntax UID is malformed");
        assertThatThrownBy(() -> DicomFiles.read(badUid, "x")).hasMessageNotContaining("1.2.X");

        byte[] itemAtTop = DicomBytes.withPatient(DicomBytes.EXPLICIT).item(0xFFFEE000, 0)
                .pixels16(COLUMNS, ROWS, SAMPLES).build();
        assertRefused(itemAtTop, "item tag (FFFE,E000) outside any sequence");

        DicomBytes encapsulated = DicomBytes.withPatient(DicomBytes.EXPLICIT);
        encapsulated.us(0x00280010, ROWS).us(0x00280011, COLUMNS).us(0x00280100, 16);
        encapsulated.header(0x7FE00010, "OB", DicomBytes.UNDEFINED).item(0xFFFEE000, 0).item(0xFFFEE0DD, 0);
        assertRefused(encapsulated.build(), "pixel data of undefined length in the uncompressed syntax");

        DicomBytes tooLong = DicomBytes.withPatient(DicomBytes.EXPLICIT);
        tooLong.header(0x00181000, "LO", 60000);
        assertRefused(tooLong.build(), "element (0018,1000) declares 60000 bytes but only 0 remain");
    }

    @Test
    void refusesOtherTransferSyntaxesByNameWithAConversion() {
        byte[] jpeg2000 = new DicomBytes("1.2.840.10008.1.2.4.90").build();
        assertRefused(jpeg2000, "DICOM transfer syntax 1.2.840.10008.1.2.4.90 (JPEG 2000 (Lossless Only)) "
                + "is not read;");
        assertRefused(jpeg2000, "gdcmconv --raw in.dcm out.dcm");
        assertRefused(new DicomBytes("1.2.840.10008.1.2.1.99").build(),
                "(Deflated Explicit VR Little Endian) is not read; "
                + "only implicit and explicit VR little endian, JPEG baseline and JPEG lossless are; "
                + "convert it with dcmtk: dcmconv +te in.dcm out.dcm");
        assertRefused(new DicomBytes("1.2.840.10008.1.2.4.51").build(), "dcmdjpeg in.dcm out.dcm");
        assertRefused(new DicomBytes("1.2.3.4").build(), "DICOM transfer syntax 1.2.3.4 (unknown) is not read;");
    }

    @Test
    void windowOfWidthOneIsAThreshold() {
        DicomBytes file = DicomBytes.withPatient(DicomBytes.EXPLICIT);
        file.text(0x00281050, "DS", "300").text(0x00281051, "DS", "1");
        file.pixels16(COLUMNS, ROWS, SAMPLES);

        GreyImage image = DicomFiles.read(file.build(), "threshold.dcm").image();

        for (int i = 0; i < SAMPLES.length; i++) {
            assertThat(image.pixels()[i]).isEqualTo(SAMPLES[i] > 299.5 ? 1f : 0f);
        }
    }

    @Test
    void survivesTruncationAndMutationOfAHandWrittenFile() {
        DicomBytes file = DicomBytes.withPatient(DicomBytes.EXPLICIT);
        file.header(0x00081140, "SQ", DicomBytes.UNDEFINED).item(0xFFFEE000, DicomBytes.UNDEFINED)
                .text(0x00081150, "UI", "1.2.3").item(0xFFFEE00D, 0).item(0xFFFEE0DD, 0);
        file.text(0x00101010, "AS", "045Y").text(0x00281050, "DS", "30000\\100").text(0x00281051, "DS", "40000\\10");
        file.pixels16(COLUMNS, ROWS, SAMPLES);

        Fuzzing.Outcome outcome = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> Fuzzing.run(file.build(), 17, 1, 3000));

        assertThat(outcome.rejected()).isPositive();
        assertThat(outcome.images()).isPositive();
        assertThat(outcome.slowestNanos()).isLessThan(Duration.ofSeconds(2).toNanos());
    }

    static void assertExactly(GreyImage image, int[] values, double max) {
        assertThat(image.pixels()).hasSize(values.length);
        for (int i = 0; i < values.length; i++) {
            assertThat(image.pixels()[i]).as("pixel %d", i).isEqualTo((float) (values[i] / max));
        }
    }

    private static void assertRefused(byte[] file, String message) {
        assertThatThrownBy(() -> DicomFiles.read(file, "bad.dcm"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("bad.dcm: ")
                .hasMessageContaining(message);
    }

    private static void replace(byte[] bytes, String from, String to) {
        byte[] a = from.getBytes(StandardCharsets.US_ASCII);
        byte[] b = to.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + a.length <= bytes.length; i++) {
            for (int j = 0; j < a.length; j++) {
                if (bytes[i + j] != a[j]) {
                    continue outer;
                }
            }
            System.arraycopy(b, 0, bytes, i, b.length);
            return;
        }
        throw new AssertionError(from + " not found");
    }
}
