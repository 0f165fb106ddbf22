package io.pneuknow.experiment;

import io.pneuknow.evaluate.Prediction;
import java.util.List;

/**
 * What one finished cell of a study left behind (cell.json): its test predictions, the teacher's
 * accuracy on ROI test images (also without the no-finding class), the kept epoch, the validation
 * loss per epoch and the time it took.
 */
public record CellResult(String architecture, String method, int fold, long seed, List<Prediction> test,
                         double teacherTestAccuracy, double teacherTestAccuracyWithoutNoFinding, int keptEpoch,
                         List<Double> valLoss, double seconds, String modelId) {
}
