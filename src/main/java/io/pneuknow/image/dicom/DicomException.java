package io.pneuknow.image.dicom;

/**
 * A problem with a DICOM file's content, before the file's name is known; {@link DicomFiles} turns it
 * into a {@link io.pneuknow.BadInputException} naming the file. Messages never quote patient data.
 */
final class DicomException extends RuntimeException {
    DicomException(String message) {
        super(message);
    }
}
