package io.pneuknow.guard;

import io.pneuknow.BadInputException;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.image.ImageFormats;
import io.pneuknow.image.dicom.DicomHeader;
import io.pneuknow.image.dicom.DicomImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A decoded image and, for DICOM, its header facts (no patient identifiers: see {@link DicomHeader}).
 *
 * @param header null for PNG and JPEG
 * @param colour the file's mean chroma before grey conversion ({@link PixelFeatures#colour}): 0 for grey
 *     files and DICOM, NaN when not measured
 */
public record InputImage(GreyImage image, DicomHeader header, double colour) {
    /** An image whose colour was not measured. */
    public InputImage(GreyImage image, DicomHeader header) {
        this(image, header, Double.NaN);
    }

    /** Reads PNG, JPEG or DICOM from a file; a {@link BadInputException} names the file and the problem. */
    public static InputImage read(Path file) {
        if (ImageFormats.forFile(file) == ImageFormats.DICOM) {
            DicomImage dicom = ImageFormats.DICOM.readWithHeader(file);
            return new InputImage(dicom.image(), dicom.header(), 0);
        }
        GreyImage image = ImageFiles.read(file);
        try {
            return new InputImage(image, null, PixelFeatures.colour(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes bytes held in memory (an upload), PNG, JPEG or DICOM by content; {@code name} starts every message. */
    public static InputImage decode(byte[] bytes, String name) {
        if (ImageFormats.forBytes(bytes) == ImageFormats.DICOM) {
            DicomImage dicom = ImageFormats.DICOM.decodeWithHeader(bytes, name);
            return new InputImage(dicom.image(), dicom.header(), 0);
        }
        return new InputImage(ImageFiles.decode(bytes, name), null, PixelFeatures.colour(bytes));
    }

    /**
     * {@link #decode(byte[], String)} reading a large PNG or JPEG at a reduced size whose shorter side stays at
     * least {@code minShorterSide} pixels ({@link ImageFiles#decode(byte[], String, int)}): what a model whose
     * input is smaller needs, without the full image in memory. DICOM decodes in full.
     */
    public static InputImage decode(byte[] bytes, String name, int minShorterSide) {
        if (ImageFormats.forBytes(bytes) == ImageFormats.DICOM) {
            return decode(bytes, name);
        }
        return new InputImage(ImageFiles.decode(bytes, name, minShorterSide), null, PixelFeatures.colour(bytes));
    }
}
