package io.pneuknow.image.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes DICOM Part 10 bytes by hand for cases dcmtk will not produce (and for tests that run
 * without dcmtk): the file meta group in explicit VR little endian, then elements written in order
 * in explicit or implicit VR little endian, including undefined lengths and delimiters.
 */
final class DicomBytes {
    static final String IMPLICIT = "1.2.840.10008.1.2";
    static final String EXPLICIT = "1.2.840.10008.1.2.1";
    static final long UNDEFINED = 0xFFFFFFFFL;

    private final String syntax;
    private final boolean explicit;
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    DicomBytes(String syntax) {
        this.syntax = syntax;
        this.explicit = !IMPLICIT.equals(syntax);
    }

    /** An element with its value padded to even length (strings with a space, binary with a zero). */
    DicomBytes element(int tag, String vr, byte[] value) {
        byte[] padded = value;
        if (value.length % 2 == 1) {
            padded = new byte[value.length + 1];
            System.arraycopy(value, 0, padded, 0, value.length);
            padded[value.length] = isText(vr) ? (byte) ' ' : 0;
        }
        header(tag, vr, padded.length);
        data.writeBytes(padded);
        return this;
    }

    DicomBytes text(int tag, String vr, String value) {
        return element(tag, vr, value.getBytes(StandardCharsets.US_ASCII));
    }

    DicomBytes us(int tag, int value) {
        return element(tag, "US", new byte[] {(byte) value, (byte) (value >> 8)});
    }

    /** An element header declaring {@code length} (UNDEFINED for 0xFFFFFFFF) without its value. */
    DicomBytes header(int tag, String vr, long length) {
        u16(tag >>> 16);
        u16(tag & 0xffff);
        if (explicit) {
            data.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
            if (isLong(vr)) {
                u16(0);
                u32(length);
            } else {
                u16((int) length);
            }
        } else {
            u32(length);
        }
        return this;
    }

    /** An item or delimiter tag (FFFE,xxxx) with a 4-byte length, which has no VR in any syntax. */
    DicomBytes item(int tag, long length) {
        u16(tag >>> 16);
        u16(tag & 0xffff);
        u32(length);
        return this;
    }

    /** The data set written so far, without preamble and meta group. */
    byte[] bytes() {
        return data.toByteArray();
    }

    DicomBytes raw(byte[] bytes) {
        data.writeBytes(bytes);
        return this;
    }

    /** The whole file: preamble, "DICM", the meta group, then the data set. */
    byte[] build() {
        DicomBytes meta = new DicomBytes(EXPLICIT);
        meta.element(0x00020001, "OB", new byte[] {0, 1});
        meta.text(0x00020002, "UI", "1.2.840.10008.5.1.4.1.1.1.1");
        meta.text(0x00020003, "UI", "1.2.826.0.1.3680043.2.1125.99.2");
        meta.text(0x00020010, "UI", syntax);
        byte[] group = meta.data.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[128]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        DicomBytes length = new DicomBytes(EXPLICIT);
        length.element(0x00020000, "UL", new byte[] {(byte) group.length, (byte) (group.length >> 8), 0, 0});
        out.writeBytes(length.data.toByteArray());
        out.writeBytes(group);
        out.writeBytes(data.toByteArray());
        return out.toByteArray();
    }

    /** A data set begun with the SOP class, modality and the test patient's name, ID and birth date. */
    static DicomBytes withPatient(String syntax) {
        DicomBytes bytes = new DicomBytes(syntax);
        bytes.text(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.1.1");
        bytes.text(0x00080060, "CS", "DX");
        bytes.text(0x00100010, "PN", Dcmtk.PATIENT_NAME);
        bytes.text(0x00100020, "LO", Dcmtk.PATIENT_ID);
        bytes.text(0x00100030, "DA", Dcmtk.BIRTH_DATE);
        return bytes;
    }

    /** The attributes and pixel data of a 16-bit MONOCHROME2 image; call after any elements below group 0028. */
    DicomBytes pixels16(int columns, int rows, int[] samples) {
        us(0x00280002, 1);
        text(0x00280004, "CS", "MONOCHROME2");
        us(0x00280010, rows);
        us(0x00280011, columns);
        us(0x00280100, 16);
        us(0x00280101, 16);
        us(0x00280102, 15);
        us(0x00280103, 0);
        return element(0x7FE00010, "OW", Dcmtk.words(samples));
    }

    private void u16(int value) {
        data.write(value & 0xff);
        data.write((value >> 8) & 0xff);
    }

    private void u32(long value) {
        for (int i = 0; i < 4; i++) {
            data.write((int) (value >> (8 * i)) & 0xff);
        }
    }

    private static boolean isLong(String vr) {
        return switch (vr) {
            case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV" -> true;
            default -> false;
        };
    }

    private static boolean isText(String vr) {
        return switch (vr) {
            case "AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR", "UT" -> true;
            default -> false;
        };
    }
}
