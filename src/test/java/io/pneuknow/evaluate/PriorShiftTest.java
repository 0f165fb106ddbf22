package io.pneuknow.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PriorShiftTest {

    @Test
    void shiftsByHandComputedFactors() {
        Prediction p = new Prediction("img", "pat", 2, new double[] {0.5, 0.3, 0.2}, Map.of("sex", "F"));
        Prediction shifted = PriorShift.shift(p, PriorShift.uniform(3), new double[] {0.8, 0.1, 0.1});
        // 0.5*0.8*3 = 1.2, 0.3*0.1*3 = 0.09, 0.2*0.1*3 = 0.06; sum 1.35
        assertThat(shifted.probabilities()[0]).isCloseTo(1.2 / 1.35, within(1e-12));
        assertThat(shifted.probabilities()[1]).isCloseTo(0.09 / 1.35, within(1e-12));
        assertThat(shifted.probabilities()[2]).isCloseTo(0.06 / 1.35, within(1e-12));
        assertThat(shifted.imageId()).isEqualTo("img");
        assertThat(shifted.patientId()).isEqualTo("pat");
        assertThat(shifted.trueClass()).isEqualTo(2);
        assertThat(shifted.attributes()).containsEntry("sex", "F");
    }

    @Test
    void shiftingThereAndBackGivesTheOriginal() {
        Prediction p = new Prediction("img", "pat", 0, 0.1, 0.6, 0.3);
        double[] a = {0.2, 0.5, 0.3};
        double[] b = {0.7, 0.1, 0.2};
        Prediction back = PriorShift.shift(PriorShift.shift(p, a, b), b, a);
        for (int k = 0; k < 3; k++) {
            assertThat(back.probabilities()[k]).isCloseTo(p.probabilities()[k], within(1e-12));
        }
    }

    @Test
    void movesAListFromTheUniformPriorToTrainingCounts() {
        List<Prediction> moved = PriorShift.fromUniformToCounts(List.of(
                new Prediction("a", "p1", 0, 0.5, 0.5), new Prediction("b", "p2", 1, 0.2, 0.8)), new int[] {3, 1});
        // frequencies 0.75, 0.25 against 0.5, 0.5: a 0.75:0.25 -> 0.75, 0.25; b 0.3:0.4 -> 3/7, 4/7
        assertThat(moved).extracting(Prediction::imageId).containsExactly("a", "b");
        assertThat(moved.get(0).probabilities()[0]).isCloseTo(0.75, within(1e-12));
        assertThat(moved.get(1).probabilities()[0]).isCloseTo(3.0 / 7, within(1e-12));
        assertThat(moved.get(1).probabilities()[1]).isCloseTo(4.0 / 7, within(1e-12));
    }

    @Test
    void frequenciesAreSharesOfTheTotal() {
        assertThat(PriorShift.frequencies(new int[] {3, 1, 0})).containsExactly(0.75, 0.25, 0.0);
        assertThat(PriorShift.uniform(4)).containsExactly(0.25, 0.25, 0.25, 0.25);
        assertThatThrownBy(() -> PriorShift.frequencies(new int[] {0, 0})).isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> PriorShift.frequencies(new int[] {2, -1})).isInstanceOf(BadInputException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void priorsOfTheWrongLengthAreRefused() {
        Prediction p = new Prediction("img", "pat", 0, 0.5, 0.5);
        assertThatThrownBy(() -> PriorShift.shift(p, PriorShift.uniform(3), PriorShift.uniform(2)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("img");
    }

    /**
     * Two classes with one Gaussian feature each (means 0 and 1, sd 1), drawn 80:20. A model with a
     * uniform prior puts its threshold at 0.5 (accuracy Phi(0.5) = 0.691); moved to the 80:20 prior
     * it is the Bayes classifier, threshold 0.5 + ln 4, accuracy 0.8 Phi(1.886) + 0.2 (1 - Phi(0.886)) = 0.814.
     */
    @Test
    void theShiftedModelIsTheBayesClassifierAtTheTargetPrior() {
        SplittableRandom random = new SplittableRandom(3);
        List<Prediction> uniform = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) {
            int y = random.nextDouble() < 0.8 ? 0 : 1;
            double x = y + random.nextGaussian();
            double l0 = Math.exp(-x * x / 2);
            double l1 = Math.exp(-(x - 1) * (x - 1) / 2);
            uniform.add(new Prediction("i" + i, "p" + i, y, l0 / (l0 + l1), l1 / (l0 + l1)));
        }
        List<Prediction> shifted = uniform.stream()
                .map(p -> PriorShift.shift(p, PriorShift.uniform(2), new double[] {0.8, 0.2})).toList();
        List<String> labels = List.of("a", "b");
        assertThat(Metrics.of(uniform, labels).accuracy()).isCloseTo(0.691, within(0.01));
        assertThat(Metrics.of(shifted, labels).accuracy()).isCloseTo(0.814, within(0.01));
    }
}
