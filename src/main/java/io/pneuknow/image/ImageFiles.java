package io.pneuknow.image;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Decodes image and mask files, and uploads held in memory, into {@link GreyImage}s with the format
 * {@link ImageFormats} picks: PNG 8/16-bit grey or RGB(A) and JPEG through ImageIO, DICOM (files named
 * .dcm or .dicom or with the DICOM preamble) through {@link io.pneuknow.image.dicom.DicomFiles}.
 */
public final class ImageFiles {
    private ImageFiles() {
    }

    /** Width and height of an image; reads only the header. */
    public static Dimensions dimensions(Path file) {
        requireFile(file);
        return ImageFormats.forFile(file).dimensions(file);
    }

    /**
     * Decodes an image to grey values in [0, 1]: grey samples are divided by their maximum (255 or
     * 65535, so 16-bit precision is kept); colour is turned into luminance 0.299 R + 0.587 G + 0.114 B;
     * alpha is ignored. Pixels are as stored (EXIF orientation is not applied), the frame that boxes
     * and masks use. DICOM values go through rescale, the file's VOI window (else their full range)
     * and MONOCHROME1 inversion, as {@link io.pneuknow.image.dicom.DicomFiles} describes.
     */
    public static GreyImage read(Path file) {
        requireFile(file);
        return ImageFormats.forFile(file).read(file);
    }

    /**
     * Width and height of an image held in memory (an upload), from its header only, so that a
     * decompression bomb can be refused before decoding; {@code name} starts any message.
     */
    public static Dimensions dimensions(byte[] bytes, String name) {
        return ImageFormats.forBytes(bytes).dimensions(bytes, name);
    }

    /** {@link #read(Path)} for bytes held in memory (an upload): PNG, JPEG or DICOM by content; {@code name} starts any message. */
    public static GreyImage decode(byte[] bytes, String name) {
        return ImageFormats.forBytes(bytes).decode(bytes, name);
    }

    /**
     * {@link #decode(byte[], String)} reading a large PNG or JPEG at a reduced size whose shorter side stays at least
     * {@code minShorterSide} pixels ({@link ImageFormat#decode(byte[], String, int)}); smaller images, and DICOM,
     * decode in full.
     */
    public static GreyImage decode(byte[] bytes, String name, int minShorterSide) {
        return ImageFormats.forBytes(bytes).decode(bytes, name, minShorterSide);
    }

    /** Decodes the whole file (so that a data check finds every unreadable one) and returns its size. */
    public static Dimensions verify(Path file) {
        requireFile(file);
        return ImageFormats.forFile(file).verify(file);
    }

    /** Decodes a binary mask: every nonzero pixel becomes 1, the rest 0. */
    public static GreyImage readMask(Path file) {
        GreyImage image = read(file);
        float[] pixels = image.pixels();
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = pixels[i] > 0 ? 1f : 0f;
        }
        return image;
    }

    /** Refuses a path that is not a regular file, naming it. */
    static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": image file not found; check the path");
        }
    }

    /** Width and height of an image in pixels. */
    public record Dimensions(int width, int height) {
    }
}
