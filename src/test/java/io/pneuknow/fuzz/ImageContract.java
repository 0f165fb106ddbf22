package io.pneuknow.fuzz;

import io.pneuknow.BadInputException;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.image.ImageFormat;
import io.pneuknow.image.ImageFormats;
import java.util.Arrays;

/**
 * What every input to the image decoders must end in: a {@link GreyImage} whose size is the one its
 * header gave and whose values are all in [0, 1], or a {@link BadInputException} with a one-line
 * message that starts with the name given; nothing else (no other exception, no error, nothing slower
 * than {@link #MAX_NANOS}). Inputs are bounded: at most {@link #MAX_INPUT_BYTES} are used, and, as the
 * service does with {@code --max-pixels}, an image whose header declares more than {@link #MAX_PIXELS}
 * pixels is not decoded (the header read itself is still checked).
 */
public final class ImageContract {
    /** The name the decoders are given; every refusal's message starts with it. */
    public static final String NAME = "fuzzed";
    /** The longest input used; longer ones are cut. */
    public static final int MAX_INPUT_BYTES = 1 << 18;
    /** The largest declared image that is decoded (a 16-bit 2048 x 2048 decode stays well under a second). */
    public static final long MAX_PIXELS = 1L << 22;
    /** The longest one input may take. */
    public static final long MAX_NANOS = 5_000_000_000L;

    /** How one input ended. */
    public enum Outcome {
        /** decoded to a valid image */
        IMAGE,
        /** refused with a clean {@link BadInputException} */
        REFUSED,
        /** its header declares more than {@link #MAX_PIXELS} pixels, so it was not decoded */
        TOO_LARGE
    }

    private ImageContract() {
    }

    /**
     * Runs one input through {@code format} as an upload is run (header dimensions first, then the
     * decode) after making its first bytes the format's magic, so that the input stays in that format's
     * decoder; throws {@link AssertionError} when the contract is broken.
     */
    public static Outcome check(ImageFormat format, byte[] input) {
        return checkBytes(withMagic(format, input));
    }

    /**
     * Runs bytes as they are through {@link ImageFormats#sniff}, {@link ImageFiles#dimensions(byte[], String)}
     * and {@link ImageFiles#decode(byte[], String)}; unrecognised bytes count as refused.
     */
    public static Outcome checkBytes(byte[] input) {
        byte[] bytes = input.length > MAX_INPUT_BYTES ? Arrays.copyOf(input, MAX_INPUT_BYTES) : input;
        long start = System.nanoTime();
        try {
            return outcome(bytes);
        } finally {
            long took = System.nanoTime() - start;
            if (took > MAX_NANOS) {
                throw new AssertionError("an input of " + bytes.length + " bytes took " + took / 1_000_000 + " ms");
            }
        }
    }

    private static Outcome outcome(byte[] bytes) {
        if (ImageFormats.sniff(bytes).isEmpty()) {
            return Outcome.REFUSED;
        }
        ImageFiles.Dimensions size;
        GreyImage image;
        try {
            size = ImageFiles.dimensions(bytes, NAME);
            if (size.width() <= 0 || size.height() <= 0) {
                return Outcome.REFUSED; // the service refuses a non-positive size before decoding
            }
            if ((long) size.width() * size.height() > MAX_PIXELS) {
                return Outcome.TOO_LARGE;
            }
            image = ImageFiles.decode(bytes, NAME);
        } catch (BadInputException e) {
            String message = e.getMessage();
            if (message == null || !message.startsWith(NAME + ": ") || message.contains("\n")) {
                throw new AssertionError("refusal not one line starting with the name: " + message, e);
            }
            return Outcome.REFUSED;
        } catch (Throwable t) {
            throw new AssertionError("not a BadInputException: " + t, t);
        }
        if (image.width() != size.width() || image.height() != size.height()) {
            throw new AssertionError("header said " + size.width() + "x" + size.height() + ", decoded "
                    + image.width() + "x" + image.height());
        }
        float[] pixels = image.pixels();
        if (pixels.length != image.width() * image.height()) {
            throw new AssertionError(pixels.length + " values for " + image.width() + "x" + image.height());
        }
        for (float value : pixels) {
            if (!(value >= 0 && value <= 1)) {
                throw new AssertionError("pixel value " + value + " outside [0, 1]");
            }
        }
        return Outcome.IMAGE;
    }

    /** The input with its first bytes made the format's magic (for DICOM: "DICM" after a 128-byte preamble). */
    static byte[] withMagic(ImageFormat format, byte[] input) {
        byte[] magic = magic(format);
        int at = format == ImageFormats.DICOM ? 128 : 0;
        byte[] bytes = input.length >= at + magic.length ? input.clone() : Arrays.copyOf(input, at + magic.length);
        System.arraycopy(magic, 0, bytes, at, magic.length);
        return bytes;
    }

    private static byte[] magic(ImageFormat format) {
        if (format == ImageFormats.PNG) {
            return new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
        } else if (format == ImageFormats.JPEG) {
            return new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff};
        } else if (format == ImageFormats.DICOM) {
            return new byte[] {'D', 'I', 'C', 'M'};
        }
        throw new IllegalArgumentException("no magic for " + format);
    }
}
