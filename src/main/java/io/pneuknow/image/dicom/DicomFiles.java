package io.pneuknow.image.dicom;

import io.pneuknow.BadInputException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Reads DICOM Part 10 files: single-frame greyscale images (MONOCHROME1 or MONOCHROME2, 8-16 bits,
 * signed or unsigned) in implicit or explicit VR little endian, JPEG baseline (1.2.840.10008.1.2.4.50)
 * or JPEG lossless (1.2.840.10008.1.2.4.57 and .70). Grey values in [0, 1] come from: the stored
 * value (Bits Stored below High Bit, sign-extended when Pixel Representation is 1) → Rescale Slope
 * and Intercept → the file's first VOI window (Window Center/Width; VOI LUT Function LINEAR, the
 * default, LINEAR_EXACT or SIGMOID) when it has a valid one, otherwise the full range of the
 * rescaled values in the image (minimum 0, maximum 1) → MONOCHROME1 inverted, so that brighter is
 * always denser as in MONOCHROME2. Colour secondary captures (RGB or YBR_FULL, either planar
 * configuration, or RGB/YBR_FULL/YBR_FULL_422 in JPEG baseline) become grey as an RGB PNG does
 * (luminance 0.299 R + 0.587 G + 0.114 B over the largest stored value). Everything else is refused
 * with a {@link BadInputException} naming the file, the problem and a remedy: multi-frame images,
 * objects without pixel data, palette and other colour encodings, other transfer
 * syntaxes (with a dcmtk command that converts them), big endian, and truncated or corrupt files.
 * Messages and {@link DicomHeader}s never carry the patient's name, ID or birth date.
 */
public final class DicomFiles {
    /** Files larger than this are refused before reading (the largest image read, 16-bit, needs 128 MiB). */
    public static final long MAX_FILE_BYTES = 1L << 30;
    /** The largest image side read. */
    public static final int MAX_SIDE = DicomReader.MAX_SIDE;
    /** The largest number of pixels read (64 Mi, e.g. 8192 x 8192), against decompression bombs. */
    public static final long MAX_PIXELS = DicomReader.MAX_PIXELS;
    /** The file name endings that mark a DICOM file, whatever its first bytes. */
    public static final List<String> EXTENSIONS = List.of(".dcm", ".dicom");

    private DicomFiles() {
    }

    /** Whether a file is to be read as DICOM: its name ends in .dcm or .dicom, or it has the Part 10 preamble. */
    public static boolean isDicom(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (EXTENSIONS.stream().anyMatch(name::endsWith)) {
            return true;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return isDicom(in.readNBytes(132));
        } catch (IOException | RuntimeException e) {
            return false; // the image reader that tries next reports the problem
        }
    }

    /** Whether bytes start with a DICOM Part 10 preamble ("DICM" at byte 128). */
    public static boolean isDicom(byte[] bytes) {
        return DicomParser.hasPreamble(bytes);
    }

    /** The header facts of a DICOM image, after the same checks as {@link #read(Path)} but without decoding pixels. */
    public static DicomHeader header(Path file) {
        return header(bytes(file), file.toString());
    }

    /** Decodes a DICOM image to grey values in [0, 1]. */
    public static DicomImage read(Path file) {
        return read(bytes(file), file.toString());
    }

    /** {@link #header(Path)} for bytes held in memory (an upload); {@code name} starts any message. */
    public static DicomHeader header(byte[] bytes, String name) {
        try {
            return DicomReader.header(bytes);
        } catch (DicomException e) {
            throw new BadInputException(name + ": " + e.getMessage());
        }
    }

    /** {@link #read(Path)} for bytes held in memory (an upload); {@code name} starts any message. */
    public static DicomImage read(byte[] bytes, String name) {
        try {
            return DicomReader.read(bytes);
        } catch (DicomException e) {
            throw new BadInputException(name + ": " + e.getMessage());
        }
    }

    private static byte[] bytes(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": image file not found; check the path");
        }
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new BadInputException(file + ": DICOM file of " + size + " bytes exceeds the limit of "
                        + MAX_FILE_BYTES + " bytes; export a smaller image");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read the file (" + e.getClass().getSimpleName() + " "
                    + e.getMessage() + "); check that it is readable");
        }
    }
}
