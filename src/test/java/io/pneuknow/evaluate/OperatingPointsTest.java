package io.pneuknow.evaluate;

import static io.pneuknow.evaluate.Fixtures.binary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OperatingPointsTest {
    /** 10 negatives scoring 0.05, 0.15 ... 0.95 and 4 positives scoring 0.5, 0.7, 0.9, 0.95 for class 1. */
    private static List<Prediction> validation() {
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            predictions.add(binary("n" + i, "n" + i, 0, 0.05 + 0.1 * i));
        }
        double[] positives = {0.5, 0.7, 0.9, 0.95};
        for (int i = 0; i < positives.length; i++) {
            predictions.add(binary("p" + i, "p" + i, 1, positives[i]));
        }
        return predictions;
    }

    @Test
    void thresholdIsTheSmallestMeetingTheTargetSpecificity() {
        List<Prediction> validation = validation();

        // specificity 0.8 needs 8 of 10 negatives at or below the threshold: the 8th smallest, 0.75
        double t = OperatingPoints.thresholdForSpecificity(validation, 1, 0.8);

        assertThat(t).isCloseTo(0.75, within(1e-12));
        OperatingPoints.OperatingPoint point = OperatingPoints.sensitivityAt(validation, 1, t);
        assertThat(point.specificity()).isGreaterThanOrEqualTo(0.8);
        // positives above 0.75: 0.9, 0.95
        assertThat(point.sensitivity()).isCloseTo(0.5, within(1e-12));
        // any smaller candidate (the 7th negative, 0.65) misses the target
        assertThat(OperatingPoints.sensitivityAt(validation, 1, 0.65).specificity()).isLessThan(0.8);
        assertThat(OperatingPoints.thresholdForSpecificity(validation, 1, 1.0)).isCloseTo(0.95, within(1e-12));
        assertThat(OperatingPoints.thresholdForSpecificity(validation, 1, 0.9)).isCloseTo(0.85, within(1e-12));
    }

    @Test
    void youdenThresholdMaximisesSensitivityPlusSpecificity() {
        // t = 0.45: negatives <= 0.45: 5 of 10; positives above: 4 of 4 -> J = 0.5
        // t = 0.65: 7/10 + 3/4 - 1 = 0.45; t = 0.85: 9/10 + 2/4 - 1 = 0.4; the best is 0.45
        assertThat(OperatingPoints.youdenThreshold(validation(), 1)).isCloseTo(0.45, within(1e-12));
        double[] both = OperatingPoints.youdenThresholds(validation(), 2);
        assertThat(both[1]).isCloseTo(0.45, within(1e-12));
    }

    @Test
    void degenerateValidationIsRejected() {
        List<Prediction> onlyPositives = List.of(binary("a", "a", 1, 0.9));
        assertThatThrownBy(() -> OperatingPoints.thresholdForSpecificity(onlyPositives, 1, 0.9))
                .isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> OperatingPoints.thresholdForSpecificity(validation(), 1, 0))
                .isInstanceOf(BadInputException.class);
        assertThat(OperatingPoints.sensitivityAt(onlyPositives, 1, 0.5).specificity()).isNaN();
    }

    @Test
    void thresholdsNearZeroOrOneAreCalledDegenerate() {
        List<Prediction> separated = new ArrayList<>();
        for (int i = 0; i < 10; i++) { // negatives all at 1e-9, positives at 1 - 1e-9: any threshold between works
            separated.add(binary("n" + i, "n" + i, 0, 1e-9));
            separated.add(binary("p" + i, "p" + i, 1, 1 - 1e-9));
        }
        double threshold = OperatingPoints.thresholdForSpecificity(separated, 1, 0.9);

        assertThat(threshold).isEqualTo(1e-9);
        assertThat(OperatingPoints.thresholdNote(threshold, 0.9)).startsWith("degenerate: on validation at least 90% "
                + "of the images outside the class score below 0.001, so the specificity target is met at almost any "
                + "threshold");
        assertThat(OperatingPoints.thresholdNote(0.9995, 0.9)).startsWith("degenerate: on validation more than 10% of "
                + "the images outside the class score above 0.999 (confident mistakes)");
        assertThat(OperatingPoints.thresholdNote(OperatingPoints.thresholdForSpecificity(validation(), 1, 0.9), 0.9))
                .isNull();
        assertThat(OperatingPoints.thresholdNote(0.001, 0.9)).isNull();
        assertThat(OperatingPoints.thresholdNote(0.999, 0.9)).isNull();
    }
}
