package io.pneuknow.api;

import io.pneuknow.model.ModelCard;
import io.pneuknow.train.TrainRun;
import java.nio.file.Path;

/**
 * A model that {@link Trainer} wrote: the model directory (a {@code model.ModelBundle}: model.json and
 * model.params) and the training run's outcome.
 *
 * @param directory the model directory, to open with {@link Classifier#open}
 * @param outcome the final model's card, its test accuracy and, for a method with a teacher, the teacher's
 */
public record TrainedModel(Path directory, TrainRun.Outcome outcome) {
    /** The final model's card (model.json): classes, preprocessing, kept epoch, provenance. */
    public ModelCard card() {
        return outcome.model();
    }

    /** Accuracy on the split's test part; NaN when it has no images. */
    public double testAccuracy() {
        return outcome.testAccuracy();
    }

    /** The number of test images {@link #testAccuracy} was measured on. */
    public int testImages() {
        return outcome.testImages();
    }

    /** Opens the model for prediction with the default options (see {@link Classifier#open(Path)}). */
    public Classifier classifier() {
        return Classifier.open(directory);
    }
}
