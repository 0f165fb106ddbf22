package io.pneuknow.image.dicom;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks the structure of a DICOM Part 10 file held in memory: the 128-byte preamble and "DICM",
 * the file meta group (explicit VR little endian), then the data set in the transfer syntax the meta
 * group names. Only a fixed set of top-level attributes is kept (as positions into the bytes, not
 * copies); everything else, patient identifiers included, is stepped over by its length and never
 * read. Sequences of defined and undefined length, with nested items, are skipped. Every length is
 * checked against the bytes that remain, so a truncated or corrupt file ends in a
 * {@link DicomException}, never in another exception or a long loop: each step moves forward by at
 * least 8 bytes and nesting is capped.
 */
final class DicomParser {
    static final int PIXEL_DATA = 0x7FE00010;
    static final int TRANSFER_SYNTAX = 0x00020010;
    static final int MEDIA_SOP_CLASS = 0x00020002;
    static final int SOP_CLASS = 0x00080016;
    static final int MODALITY = 0x00080060;
    static final int PATIENT_AGE = 0x00101010;
    static final int BODY_PART = 0x00180015;
    static final int VIEW_POSITION = 0x00185101;
    static final int PATIENT_ORIENTATION = 0x00200020;
    static final int SAMPLES_PER_PIXEL = 0x00280002;
    static final int PHOTOMETRIC = 0x00280004;
    static final int PLANAR_CONFIGURATION = 0x00280006;
    static final int NUMBER_OF_FRAMES = 0x00280008;
    static final int ROWS = 0x00280010;
    static final int COLUMNS = 0x00280011;
    static final int BITS_ALLOCATED = 0x00280100;
    static final int BITS_STORED = 0x00280101;
    static final int HIGH_BIT = 0x00280102;
    static final int PIXEL_REPRESENTATION = 0x00280103;
    static final int WINDOW_CENTER = 0x00281050;
    static final int WINDOW_WIDTH = 0x00281051;
    static final int RESCALE_INTERCEPT = 0x00281052;
    static final int RESCALE_SLOPE = 0x00281053;
    static final int VOI_LUT_FUNCTION = 0x00281056;

    /** The only attributes whose values are ever looked at; patient name, ID and birth date are not among them. */
    private static final Set<Integer> KEPT = Set.of(SOP_CLASS, MODALITY, PATIENT_AGE, BODY_PART, VIEW_POSITION,
            PATIENT_ORIENTATION, SAMPLES_PER_PIXEL, PHOTOMETRIC, PLANAR_CONFIGURATION, NUMBER_OF_FRAMES, ROWS, COLUMNS, BITS_ALLOCATED,
            BITS_STORED, HIGH_BIT, PIXEL_REPRESENTATION, WINDOW_CENTER, WINDOW_WIDTH, RESCALE_INTERCEPT,
            RESCALE_SLOPE, VOI_LUT_FUNCTION);

    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_END = 0xFFFEE00D;
    private static final int SEQUENCE_END = 0xFFFEE0DD;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    private static final int MAX_DEPTH = 16;
    /** VRs with a 2-byte reserved field and a 4-byte length in explicit VR. */
    private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
            "UR", "UT", "UV");

    private final byte[] bytes;

    private DicomParser(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Where a kept value lies in the file. */
    record Span(int offset, int length) {
    }

    /** A parsed file: its transfer syntax, kept attributes, and the pixel data (null when there is none). */
    record Parsed(byte[] bytes, TransferSyntax syntax, Map<Integer, Span> values, Span nativePixels,
            List<Span> fragments) {
        boolean hasPixels() {
            return nativePixels != null || fragments != null;
        }
    }

    static boolean hasPreamble(byte[] bytes) {
        return bytes.length >= 132 && bytes[128] == 'D' && bytes[129] == 'I' && bytes[130] == 'C' && bytes[131] == 'M';
    }

    static Parsed parse(byte[] bytes) {
        return new DicomParser(bytes).parse();
    }

    private Parsed parse() {
        if (!hasPreamble(bytes)) {
            throw new DicomException("not a DICOM Part 10 file (no 'DICM' marker after the 128-byte preamble); "
                    + "write it as a Part 10 file, e.g. with dcmtk: dcmconv +F in.dcm out.dcm");
        }
        int pos = 132;
        String syntaxUid = null;
        Map<Integer, Span> values = new HashMap<>();
        while (pos + 2 <= bytes.length && u16(pos) == 0x0002) {
            need(pos, 8, bytes.length, "a file meta element header");
            int tag = tag(pos);
            String vr = vr(pos);
            if (vr == null) {
                throw corrupt("file meta element " + tagText(tag) + " has no explicit VR", pos);
            }
            int header = LONG_VRS.contains(vr) ? 12 : 8;
            need(pos, header, bytes.length, "a file meta element header");
            long length = header == 12 ? u32(pos + 8) : u16(pos + 6);
            int value = checkedValue(pos, header, length, bytes.length, tag);
            if (tag == TRANSFER_SYNTAX) {
                syntaxUid = text(value, (int) length);
            } else if (tag == MEDIA_SOP_CLASS) {
                values.put(MEDIA_SOP_CLASS, new Span(value, (int) length));
            }
            pos = value + (int) length;
        }
        if (syntaxUid == null) {
            throw new DicomException("DICOM file meta information names no transfer syntax; rewrite the file with "
                    + "dcmtk: dcmconv +te in.dcm out.dcm");
        }
        if (!DicomHeader.isUid(syntaxUid)) {
            throw new DicomException("DICOM transfer syntax UID is malformed (not digits and dots); rewrite the file "
                    + "with dcmtk: dcmconv +te in.dcm out.dcm");
        }
        TransferSyntax syntax = TransferSyntax.of(syntaxUid);
        if (syntax == null) {
            throw new DicomException(TransferSyntax.rejection(syntaxUid));
        }
        return topLevel(pos, syntax, values);
    }

    /** Reads top-level elements up to and including the pixel data; what follows the pixel data is not needed. */
    private Parsed topLevel(int pos, TransferSyntax syntax, Map<Integer, Span> values) {
        boolean explicit = syntax.explicitVr;
        while (pos < bytes.length) {
            need(pos, 8, bytes.length, "an element header");
            int tag = tag(pos);
            if ((tag >>> 16) == 0xFFFE) {
                throw corrupt("item tag " + tagText(tag) + " outside any sequence", pos);
            }
            String vr = explicit ? vr(pos) : null;
            if (explicit && vr == null) {
                throw corrupt("element " + tagText(tag) + " has no valid explicit VR", pos);
            }
            ElementHeader element = elementHeader(pos, explicit, vr);
            int header = element.size();
            long length = element.length();
            int value = pos + header;
            if (tag == PIXEL_DATA) {
                if (length == UNDEFINED) {
                    if (!syntax.encapsulated) {
                        throw corrupt("pixel data of undefined length in the uncompressed syntax " + syntax.title, pos);
                    }
                    return new Parsed(bytes, syntax, values, null, fragments(value));
                }
                if (syntax.encapsulated) {
                    throw corrupt("uncompressed pixel data in the compressed syntax " + syntax.title, pos);
                }
                checkedValue(pos, header, length, bytes.length, tag);
                return new Parsed(bytes, syntax, values, new Span(value, (int) length), null);
            }
            if (length == UNDEFINED) {
                pos = skipSequence(value, explicit && !"UN".equals(vr), 1);
                continue;
            }
            checkedValue(pos, header, length, bytes.length, tag);
            if (KEPT.contains(tag)) {
                values.put(tag, new Span(value, (int) length));
            }
            pos = value + (int) length;
        }
        return new Parsed(bytes, syntax, values, null, null);
    }

    /** An element header's size in bytes (8, or 12 for explicit VRs with a 32-bit length) and its value length. */
    private record ElementHeader(int size, long length) {
    }

    /** The header of the element at {@code pos}: explicit VR with a 16- or 32-bit length, or implicit VR. */
    private ElementHeader elementHeader(int pos, boolean explicit, String vr) {
        if (explicit && LONG_VRS.contains(vr)) {
            need(pos, 12, bytes.length, "an element header");
            return new ElementHeader(12, u32(pos + 8));
        }
        return explicit ? new ElementHeader(8, u16(pos + 6)) : new ElementHeader(8, u32(pos + 4));
    }

    /** Skips the items of an undefined-length sequence starting at {@code pos}; returns the position after its end. */
    private int skipSequence(int pos, boolean explicit, int depth) {
        if (depth > MAX_DEPTH) {
            throw corrupt("sequences nested deeper than " + MAX_DEPTH + " levels", pos);
        }
        while (true) {
            need(pos, 8, bytes.length, "a sequence item");
            int tag = tag(pos);
            long length = u32(pos + 4);
            if (tag == SEQUENCE_END) {
                return pos + 8;
            }
            if (tag != ITEM) {
                throw corrupt("element " + tagText(tag) + " where a sequence item was expected", pos);
            }
            if (length == UNDEFINED) {
                pos = skipItem(pos + 8, explicit, depth);
            } else {
                pos = checkedValue(pos, 8, length, bytes.length, tag) + (int) length;
            }
        }
    }

    /** Skips the elements of an item of undefined length; returns the position after its delimiter. */
    private int skipItem(int pos, boolean explicit, int depth) {
        while (true) {
            need(pos, 8, bytes.length, "an element header in a sequence item");
            int tag = tag(pos);
            if (tag == ITEM_END) {
                return pos + 8;
            }
            if ((tag >>> 16) == 0xFFFE) {
                throw corrupt("item tag " + tagText(tag) + " where an element was expected", pos);
            }
            String vr = explicit ? vr(pos) : null;
            if (explicit && vr == null) {
                throw corrupt("element " + tagText(tag) + " in a sequence item has no valid explicit VR", pos);
            }
            ElementHeader element = elementHeader(pos, explicit, vr);
            int header = element.size();
            long length = element.length();
            if (length == UNDEFINED) {
                pos = skipSequence(pos + header, explicit && !"UN".equals(vr), depth + 1);
            } else {
                pos = checkedValue(pos, header, length, bytes.length, tag) + (int) length;
            }
        }
    }

    /** The fragments of encapsulated pixel data (the basic offset table, the first item, is left out). */
    private List<Span> fragments(int pos) {
        List<Span> fragments = new ArrayList<>();
        boolean offsetTable = true;
        while (true) {
            need(pos, 8, bytes.length, "an encapsulated pixel data item");
            int tag = tag(pos);
            long length = u32(pos + 4);
            if (tag == SEQUENCE_END) {
                if (offsetTable) {
                    throw corrupt("encapsulated pixel data without its offset table item", pos);
                }
                return fragments;
            }
            if (tag != ITEM || length == UNDEFINED) {
                throw corrupt("encapsulated pixel data holds " + tagText(tag) + " where a fragment was expected", pos);
            }
            int value = checkedValue(pos, 8, length, bytes.length, tag);
            if (!offsetTable) {
                fragments.add(new Span(value, (int) length));
            }
            offsetTable = false;
            pos = value + (int) length;
        }
    }

    /** The value's offset after checking that its declared length fits in the bytes up to {@code end}. */
    private int checkedValue(int pos, int header, long length, int end, int tag) {
        need(pos, header, end, "an element header");
        long remaining = (long) end - pos - header;
        if (length > remaining) {
            throw corrupt("element " + tagText(tag) + " declares " + length + " bytes but only " + remaining
                    + " remain", pos);
        }
        return pos + header;
    }

    private void need(int pos, int count, int end, String what) {
        if ((long) pos + count > end) {
            throw corrupt("file ends inside " + what, pos);
        }
    }

    private static DicomException corrupt(String detail, int pos) {
        return new DicomException("DICOM file is truncated or corrupt (" + detail + ", at byte " + pos
                + "); re-export it from the archive or check it with dcmtk: dcmdump in.dcm");
    }

    private int u16(int pos) {
        return (bytes[pos] & 0xff) | (bytes[pos + 1] & 0xff) << 8;
    }

    private long u32(int pos) {
        return (bytes[pos] & 0xffL) | (bytes[pos + 1] & 0xffL) << 8 | (bytes[pos + 2] & 0xffL) << 16
                | (bytes[pos + 3] & 0xffL) << 24;
    }

    private int tag(int pos) {
        return u16(pos) << 16 | u16(pos + 2);
    }

    /** The explicit VR at an element, or null when the two bytes are not upper-case letters. */
    private String vr(int pos) {
        if (pos + 6 > bytes.length) {
            return null;
        }
        char a = (char) bytes[pos + 4];
        char b = (char) bytes[pos + 5];
        if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') {
            return null;
        }
        return new String(new char[] {a, b});
    }

    private String text(int offset, int length) {
        return trim(new String(bytes, offset, length, StandardCharsets.US_ASCII));
    }

    static String trim(String text) {
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == 0)) {
            end--;
        }
        int start = 0;
        while (start < end && text.charAt(start) == ' ') {
            start++;
        }
        return text.substring(start, end);
    }

    static String tagText(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xffff);
    }
}
