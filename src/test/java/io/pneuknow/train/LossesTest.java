package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class LossesTest {
    @Test
    void featureTermIsAveragedOverSamplesWithAnRoiOnly() {
        try (NDManager m = NDManager.newBaseManager()) {
            // two samples, feature maps of 2 elements; sample 0 differs by (1, 3), sample 1 by (10, 10)
            NDArray student = m.create(new float[] {1, 3, 10, 10}, new Shape(2, 2, 1, 1));
            NDArray teacher = m.zeros(new Shape(2, 2, 1, 1));
            // only sample 0 has an ROI: (1 + 9) / 2 = 5, divided by one sample with an ROI
            assertThat(Losses.featureMse(student, teacher, m.create(new float[] {1, 0})).getFloat())
                    .isCloseTo(5f, within(1e-6f));
            // both: (5 + 100) / 2
            assertThat(Losses.featureMse(student, teacher, m.create(new float[] {1, 1})).getFloat())
                    .isCloseTo(52.5f, within(1e-5f));
            // none: zero, not NaN
            assertThat(Losses.featureMse(student, teacher, m.create(new float[] {0, 0})).getFloat()).isZero();
        }
    }

    @Test
    void crossEntropyMatchesHandComputedValuesWithAndWithoutClassWeights() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2, 0, 0, 0, 1, 0}, new Shape(2, 3));
            NDArray targets = m.create(new int[] {0, 2});
            double nll0 = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
            double nll1 = -Math.log(1 / (Math.E + 2));
            assertThat(Losses.crossEntropy(logits, targets, null).getFloat())
                    .isCloseTo((float) ((nll0 + nll1) / 2), within(1e-6f));
            // PyTorch's weighted mean: sum(w_y * nll) / sum(w_y) with w = (1, -, 3)
            NDArray w = m.create(new float[] {1, 3});
            assertThat(Losses.crossEntropy(logits, targets, w).getFloat())
                    .isCloseTo((float) ((nll0 + 3 * nll1) / 4), within(1e-6f));
        }
    }
}
