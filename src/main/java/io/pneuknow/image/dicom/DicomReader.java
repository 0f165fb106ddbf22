package io.pneuknow.image.dicom;

import io.pneuknow.image.GreyImage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a parsed file against what is read (one frame, MONOCHROME1/2 greyscale or a colour
 * secondary capture, 8 or 16 bits allocated, a bounded size) and turns its pixels into grey values in
 * [0, 1]. Greyscale: stored value (Bits Stored masked from High Bit, sign-extended when Pixel
 * Representation is 1) → Rescale Slope and Intercept → the file's first VOI window (Window
 * Center/Width with its VOI LUT Function: LINEAR, LINEAR_EXACT or SIGMOID) when it has a valid one,
 * otherwise the full range of the rescaled values in the image, minimum to 0 and maximum to 1 →
 * MONOCHROME1 inverted (1 - y). Colour (3 samples per pixel: RGB or YBR_FULL, either planar
 * configuration; RGB, YBR_FULL or YBR_FULL_422 in JPEG baseline) becomes grey as an RGB PNG does: the
 * luminance {@link GreyImage#luminance} divided by the largest stored value (YBR_FULL's Y channel is
 * that luminance already); colour images have no rescale or VOI window to apply.
 */
final class DicomReader {
    static final int MAX_SIDE = 16384;
    static final long MAX_PIXELS = 1L << 26;

    private final DicomParser.Parsed parsed;
    private final Map<Integer, DicomParser.Span> values;

    private DicomReader(DicomParser.Parsed parsed) {
        this.parsed = parsed;
        this.values = parsed.values();
    }

    /** The geometry and encoding of the pixels after the checks. */
    private record Format(int rows, int columns, int samples, boolean planar, int bitsAllocated, int bitsStored,
            int highBit, boolean signed, String photometric) {
        int pixels() {
            return rows * columns;
        }

        boolean monochrome1() {
            return photometric.equals("MONOCHROME1");
        }

        boolean colour() {
            return samples == 3;
        }
    }

    static DicomHeader header(byte[] bytes) {
        DicomReader reader = new DicomReader(DicomParser.parse(bytes));
        return reader.header(reader.format());
    }

    static DicomImage read(byte[] bytes) {
        DicomReader reader = new DicomReader(DicomParser.parse(bytes));
        Format format = reader.format();
        DicomHeader header = reader.header(format);
        float[] values;
        if (format.colour()) {
            values = reader.parsed.syntax().encapsulated
                    ? JpegFrames.decodeColour(reader.parsed, format.rows(), format.columns())
                    : reader.nativeColour(format);
        } else {
            values = reader.parsed.syntax().encapsulated
                    ? JpegFrames.decode(reader.parsed, format.rows(), format.columns(), format.bitsStored(),
                            format.signed())
                    : reader.nativeValues(format);
            reader.present(values, format);
        }
        return new DicomImage(new GreyImage(format.columns(), format.rows(), values), header);
    }

    private DicomHeader header(Format format) {
        String sopClass = sopClass();
        return new DicomHeader(DicomHeader.code(string(DicomParser.MODALITY)),
                DicomHeader.code(string(DicomParser.VIEW_POSITION)),
                DicomHeader.code(string(DicomParser.PATIENT_ORIENTATION)),
                DicomHeader.code(string(DicomParser.BODY_PART)),
                DicomHeader.ageYears(string(DicomParser.PATIENT_AGE)),
                format.rows(), format.columns(), format.bitsStored(),
                format.photometric(), parsed.syntax().uid, sopClass);
    }

    private Format format() {
        if (!parsed.hasPixels()) {
            String sopClass = sopClass();
            throw new DicomException("DICOM object holds no image (no pixel data; SOP class "
                    + (sopClass == null ? "not given" : sopClass + kindOf(sopClass))
                    + "); give a single-frame radiograph (CR or DX image) instead");
        }
        Integer frames = integer(DicomParser.NUMBER_OF_FRAMES, "Number of Frames");
        if (frames != null && frames > 1) {
            throw new DicomException("DICOM image has " + frames + " frames; only single-frame images are read; "
                    + "export the frame you want as a 16-bit PNG, e.g. with dcmtk: dcm2pnm +F 1 +on2 in.dcm out.png");
        }
        int samples = unsigned16(DicomParser.SAMPLES_PER_PIXEL, 1, "Samples per Pixel");
        if (samples != 1 && samples != 3) {
            throw new DicomException("DICOM image has " + samples + " samples per pixel; only greyscale images "
                    + "(1 sample per pixel) and colour ones (3) are read; give the original greyscale radiograph");
        }
        String photometric = photometric(samples);
        int planar = samples == 3 ? unsigned16(DicomParser.PLANAR_CONFIGURATION, 0, "Planar Configuration") : 0;
        if (planar > 1) {
            throw new DicomException("DICOM Planar Configuration " + planar + " is not 0 (colour by pixel) or 1 "
                    + "(colour by plane); re-export it from the archive");
        }
        int rows = unsigned16(DicomParser.ROWS, 0, "Rows");
        int columns = unsigned16(DicomParser.COLUMNS, 0, "Columns");
        if (rows == 0 || columns == 0) {
            throw new DicomException("DICOM image has no size (Rows " + rows + ", Columns " + columns
                    + "); re-export it from the archive");
        }
        if (rows > MAX_SIDE || columns > MAX_SIDE || (long) rows * columns > MAX_PIXELS) {
            throw new DicomException("DICOM image of " + columns + "x" + rows + " pixels exceeds the limit of "
                    + MAX_SIDE + " pixels a side and " + MAX_PIXELS + " pixels in all; downsample it first");
        }
        int allocated = unsigned16(DicomParser.BITS_ALLOCATED, 0, "Bits Allocated");
        if (allocated != 8 && allocated != 16) {
            throw new DicomException("DICOM Bits Allocated " + allocated + " is not read; only 8 and 16 are; "
                    + "export it as a 16-bit PNG, e.g. with dcmtk: dcm2pnm +on2 in.dcm out.png");
        }
        int stored = unsigned16(DicomParser.BITS_STORED, allocated, "Bits Stored");
        int highBit = unsigned16(DicomParser.HIGH_BIT, stored - 1, "High Bit");
        if (stored < 1 || stored > allocated || highBit < stored - 1 || highBit >= allocated) {
            throw new DicomException("DICOM pixel layout is inconsistent (Bits Allocated " + allocated
                    + ", Bits Stored " + stored + ", High Bit " + highBit + "); re-export it from the archive");
        }
        int representation = unsigned16(DicomParser.PIXEL_REPRESENTATION, 0, "Pixel Representation");
        if (representation > 1) {
            throw new DicomException("DICOM Pixel Representation " + representation + " is not 0 (unsigned) or 1 "
                    + "(signed); re-export it from the archive");
        }
        if (samples == 3 && representation != 0) {
            throw new DicomException("DICOM colour image has signed samples (Pixel Representation 1); "
                    + "re-export it from the archive");
        }
        Format format = new Format(rows, columns, samples, planar == 1, allocated, stored, highBit,
                representation == 1, photometric);
        if (parsed.nativePixels() != null) {
            long needed = (long) format.pixels() * samples * (allocated / 8);
            if (parsed.nativePixels().length() < needed) {
                throw new DicomException("DICOM pixel data holds " + parsed.nativePixels().length() + " bytes but "
                        + columns + "x" + rows + " pixels of " + (samples == 1 ? "" : samples + " x ") + allocated
                        + " bits need " + needed
                        + "; the file is truncated or corrupt; re-export it from the archive");
            }
        } else if (parsed.fragments().isEmpty()) {
            throw new DicomException("DICOM compressed pixel data holds no fragments; re-export it from the archive");
        }
        return format;
    }

    /**
     * The Photometric Interpretation, checked against the samples per pixel and the transfer syntax:
     * MONOCHROME1 or MONOCHROME2 (the default) for 1 sample; RGB or YBR_FULL for 3, and YBR_FULL_422
     * in JPEG baseline, whose decoder turns its colour into RGB.
     */
    private String photometric(int samples) {
        String photometric = string(DicomParser.PHOTOMETRIC);
        if (samples == 1) {
            if (photometric == null || photometric.isEmpty()) {
                return "MONOCHROME2";
            }
            if (!photometric.equals("MONOCHROME1") && !photometric.equals("MONOCHROME2")) {
                throw new DicomException("DICOM Photometric Interpretation " + knownPhotometric(photometric)
                        + " with 1 sample per pixel is not read; only MONOCHROME1 and MONOCHROME2 greyscale images are"
                        + " (colour: RGB or YBR_FULL with 3 samples); export it as a PNG, e.g. with dcmtk: "
                        + "dcm2pnm +on in.dcm out.png");
            }
            return photometric;
        }
        boolean baseline = parsed.syntax() == TransferSyntax.JPEG_BASELINE;
        boolean read = "RGB".equals(photometric) || "YBR_FULL".equals(photometric)
                || baseline && "YBR_FULL_422".equals(photometric);
        if (!read) {
            throw new DicomException("DICOM colour image (3 samples per pixel) with Photometric Interpretation "
                    + (photometric == null || photometric.isEmpty() ? "not given" : knownPhotometric(photometric))
                    + " is not read; only RGB and YBR_FULL (and YBR_FULL_422 in JPEG baseline) are; export it as a "
                    + "PNG, e.g. with dcmtk: dcm2pnm +on in.dcm out.png");
        }
        if (parsed.syntax().encapsulated && !baseline) {
            throw new DicomException("DICOM colour image in " + parsed.syntax().uid + " is not read; colour is read "
                    + "uncompressed or in JPEG baseline; decompress it with dcmtk: dcmdjpeg in.dcm out.dcm");
        }
        return photometric;
    }

    /**
     * Grey values of native colour pixel data: the luminance of R, G, B (for YBR_FULL its Y channel)
     * divided by the largest stored value, as an RGB PNG's samples are.
     */
    private float[] nativeColour(Format format) {
        byte[] bytes = parsed.bytes();
        int offset = parsed.nativePixels().offset();
        int shift = format.highBit() + 1 - format.bitsStored();
        double max = (1 << format.bitsStored()) - 1;
        int pixels = format.pixels();
        float[] grey = new float[pixels];
        int[] rgb = new int[3];
        for (int i = 0; i < pixels; i++) {
            for (int k = 0; k < 3; k++) {
                int at = format.planar() ? k * pixels + i : 3 * i + k;
                int raw = format.bitsAllocated() == 8 ? bytes[offset + at] & 0xff
                        : (bytes[offset + 2 * at] & 0xff) | (bytes[offset + 2 * at + 1] & 0xff) << 8;
                rgb[k] = storedValue(raw >>> shift, format.bitsStored(), false);
            }
            double luminance = format.photometric().equals("YBR_FULL") ? rgb[0]
                    : GreyImage.luminance(rgb[0], rgb[1], rgb[2]);
            grey[i] = (float) (luminance / max);
        }
        return grey;
    }

    /** Stored values of native (uncompressed little endian) pixel data. */
    private float[] nativeValues(Format format) {
        byte[] bytes = parsed.bytes();
        int offset = parsed.nativePixels().offset();
        int shift = format.highBit() + 1 - format.bitsStored();
        float[] values = new float[format.pixels()];
        for (int i = 0; i < values.length; i++) {
            int raw = format.bitsAllocated() == 8 ? bytes[offset + i] & 0xff
                    : (bytes[offset + 2 * i] & 0xff) | (bytes[offset + 2 * i + 1] & 0xff) << 8;
            values[i] = storedValue(raw >>> shift, format.bitsStored(), format.signed());
        }
        return values;
    }

    /** The low {@code bits} bits of {@code raw}, sign-extended when signed. */
    static int storedValue(int raw, int bits, boolean signed) {
        int value = raw & ((1 << bits) - 1);
        if (signed && (value & (1 << (bits - 1))) != 0) {
            value -= 1 << bits;
        }
        return value;
    }

    /** Applies the modality rescale, the VOI window or the full range, and MONOCHROME1 inversion, in place. */
    private void present(float[] values, Format format) {
        double slope = number(DicomParser.RESCALE_SLOPE, 1, "Rescale Slope");
        double intercept = number(DicomParser.RESCALE_INTERCEPT, 0, "Rescale Intercept");
        if (slope == 0) {
            throw new DicomException("DICOM Rescale Slope is 0, which would erase the image; "
                    + "re-export it from the archive");
        }
        double[] centres = numbers(DicomParser.WINDOW_CENTER);
        double[] widths = numbers(DicomParser.WINDOW_WIDTH);
        String function = string(DicomParser.VOI_LUT_FUNCTION);
        boolean sigmoid = "SIGMOID".equals(function);
        boolean exact = "LINEAR_EXACT".equals(function);
        boolean window = centres != null && widths != null && centres.length > 0 && widths.length > 0
                && (sigmoid || exact ? widths[0] > 0 : widths[0] >= 1);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (float stored : values) {
            double v = stored * slope + intercept;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double c = window ? centres[0] : 0;
        double w = window ? widths[0] : 0;
        double range = max - min;
        for (int i = 0; i < values.length; i++) {
            double v = values[i] * slope + intercept; // stored values (at most 16 bits) are exact in a float
            double y;
            if (!window) {
                y = range > 0 ? (v - min) / range : 0;
            } else if (sigmoid) {
                y = 1 / (1 + Math.exp(-4 * (v - c) / w));
            } else if (exact) {
                y = (v - c) / w + 0.5;
            } else if (w == 1) { // the linear function's limit: a threshold
                y = v > c - 0.5 ? 1 : 0;
            } else {
                y = (v - (c - 0.5)) / (w - 1) + 0.5;
            }
            y = Math.max(0, Math.min(1, y));
            values[i] = (float) (format.monochrome1() ? 1 - y : y);
        }
    }

    private String sopClass() {
        String sopClass = string(DicomParser.SOP_CLASS);
        if (!DicomHeader.isUid(sopClass)) {
            sopClass = string(DicomParser.MEDIA_SOP_CLASS);
        }
        return DicomHeader.isUid(sopClass) ? sopClass : null;
    }

    private static String kindOf(String sopClass) {
        if (sopClass.startsWith("1.2.840.10008.5.1.4.1.1.88.59")) {
            return ", a key object selection";
        } else if (sopClass.startsWith("1.2.840.10008.5.1.4.1.1.88.")) {
            return ", a structured report";
        } else if (sopClass.startsWith("1.2.840.10008.5.1.4.1.1.11.")) {
            return ", a presentation state";
        } else if (sopClass.startsWith("1.2.840.10008.5.1.4.1.1.104.")) {
            return ", an encapsulated document";
        } else if (sopClass.startsWith("1.2.840.10008.5.1.4.1.1.66")) {
            return ", raw data or a registration";
        }
        return "";
    }

    private static String knownPhotometric(String value) {
        return switch (value) {
            case "PALETTE COLOR", "RGB", "HSV", "ARGB", "CMYK", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_422",
                    "YBR_PARTIAL_420", "YBR_ICT", "YBR_RCT" -> value;
            default -> "(an unrecognised value)";
        };
    }

    private String string(int tag) {
        DicomParser.Span span = values.get(tag);
        if (span == null) {
            return null;
        }
        return DicomParser.trim(new String(parsed.bytes(), span.offset(), span.length(), StandardCharsets.US_ASCII));
    }

    /** A US value (first of several), or the fallback when absent. */
    private int unsigned16(int tag, int fallback, String name) {
        DicomParser.Span span = values.get(tag);
        if (span == null) {
            return fallback;
        }
        if (span.length() < 2) {
            throw new DicomException("DICOM " + name + " " + DicomParser.tagText(tag) + " has no valid value; "
                    + "re-export the file from the archive");
        }
        byte[] bytes = parsed.bytes();
        return (bytes[span.offset()] & 0xff) | (bytes[span.offset() + 1] & 0xff) << 8;
    }

    /** An IS value, or null when absent or empty. */
    private Integer integer(int tag, String name) {
        double[] numbers = numbers(tag);
        if (numbers == null) {
            if (string(tag) != null && !string(tag).isEmpty()) {
                throw invalidNumber(tag, name);
            }
            return null;
        }
        if (numbers.length == 0 || numbers[0] != Math.rint(numbers[0]) || Math.abs(numbers[0]) > Integer.MAX_VALUE) {
            throw invalidNumber(tag, name);
        }
        return (int) numbers[0];
    }

    /** A DS value (first of several), or the fallback when absent or empty. */
    private double number(int tag, double fallback, String name) {
        String text = string(tag);
        if (text == null || text.isEmpty()) {
            return fallback;
        }
        double[] numbers = numbers(tag);
        if (numbers == null || numbers.length == 0) {
            throw invalidNumber(tag, name);
        }
        return numbers[0];
    }

    /** The finite numbers of a multi-valued DS or IS; null when absent, empty, or any is not a number. */
    private double[] numbers(int tag) {
        String text = string(tag);
        if (text == null || text.isEmpty()) {
            return null;
        }
        List<Double> numbers = new ArrayList<>();
        for (String part : text.split("\\\\", -1)) {
            String trimmed = part.trim();
            if (trimmed.isEmpty() || trimmed.length() > 32 || !trimmed.matches("[-+0-9.eE]+")) {
                return null;
            }
            try {
                double value = Double.parseDouble(trimmed);
                if (!Double.isFinite(value)) {
                    return null;
                }
                numbers.add(value);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return numbers.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static DicomException invalidNumber(int tag, String name) {
        return new DicomException("DICOM " + name + " " + DicomParser.tagText(tag) + " is not a valid number; "
                + "re-export the file from the archive");
    }
}
