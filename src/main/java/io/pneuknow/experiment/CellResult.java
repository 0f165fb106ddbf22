package io.pneuknow.experiment;

import io.pneuknow.evaluate.Prediction;
import io.pneuknow.explain.ImageAgreement;
import java.util.List;

/**
 * What one finished cell of a study left behind (cell.json): its test predictions, the teacher's
 * accuracy on ROI test images (also without the no-finding class), the kept epoch, the validation
 * loss per epoch, the time it took, and the agreement of its heat maps with the expert's regions on
 * the annotated test images (null in cells written before it was recorded; filled in from the saved
 * model when the study is run again).
 */
public record CellResult(String architecture, String method, int fold, long seed, List<Prediction> test,
                         double teacherTestAccuracy, double teacherTestAccuracyWithoutNoFinding, int keptEpoch,
                         List<Double> valLoss, double seconds, String modelId,
                         List<ImageAgreement> localisation) {

    CellResult withTest(List<Prediction> predictions) {
        return new CellResult(architecture, method, fold, seed, predictions, teacherTestAccuracy,
                teacherTestAccuracyWithoutNoFinding, keptEpoch, valLoss, seconds, modelId, localisation);
    }

    CellResult withLocalisation(List<ImageAgreement> scores) {
        return new CellResult(architecture, method, fold, seed, test, teacherTestAccuracy,
                teacherTestAccuracyWithoutNoFinding, keptEpoch, valLoss, seconds, modelId, scores);
    }
}
