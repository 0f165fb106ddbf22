package io.pneuknow.api;

import io.pneuknow.guard.InputImage;
import java.nio.file.Path;

/**
 * The outcome of {@link Classifier#predictFiles} for one file: its prediction, or the reason it could
 * not be read.
 *
 * @param file the file as given
 * @param image the decoded image (with its DICOM header facts); null when unreadable
 * @param prediction null when unreadable
 * @param error why the file could not be read, in one line naming the file; null when it was read
 */
public record FilePrediction(Path file, InputImage image, ImagePrediction prediction, String error) {
    /** Whether the file was read and predicted. */
    public boolean readable() {
        return error == null;
    }
}
