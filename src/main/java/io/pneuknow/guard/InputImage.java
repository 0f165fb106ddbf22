package io.pneuknow.guard;

import io.pneuknow.BadInputException;
import io.pneuknow.data.GreyImage;
import io.pneuknow.data.ImageFiles;
import io.pneuknow.dicom.DicomFiles;
import io.pneuknow.dicom.DicomHeader;
import io.pneuknow.dicom.DicomImage;
import java.nio.file.Path;

/**
 * A decoded image and, for DICOM, its header facts (no patient identifiers: see {@link DicomHeader}).
 *
 * @param header null for PNG and JPEG
 */
public record InputImage(GreyImage image, DicomHeader header) {
    /** Reads PNG, JPEG or DICOM from a file; a {@link BadInputException} names the file and the problem. */
    public static InputImage read(Path file) {
        if (DicomFiles.isDicom(file)) {
            DicomImage dicom = DicomFiles.read(file);
            return new InputImage(dicom.image(), dicom.header());
        }
        return new InputImage(ImageFiles.read(file), null);
    }

    /** Decodes bytes held in memory (an upload), PNG, JPEG or DICOM by content; {@code name} starts every message. */
    public static InputImage decode(byte[] bytes, String name) {
        if (DicomFiles.isDicom(bytes)) {
            DicomImage dicom = DicomFiles.read(bytes, name);
            return new InputImage(dicom.image(), dicom.header());
        }
        return new InputImage(ImageFiles.decode(bytes, name), null);
    }
}
