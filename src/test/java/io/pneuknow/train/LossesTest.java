package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
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
    void channelStandardisationRemovesEachChannelsMeanAndScaleOverItsPositions() {
        try (NDManager m = NDManager.newBaseManager()) {
            // one image, two channels of 2x2: (1, 3, 1, 3) has mean 2 and standard deviation 1;
            // (10, 10, 10, 14) has mean 11 and variance (1 + 1 + 1 + 9) / 4 = 3
            NDArray features = m.create(new float[] {1, 3, 1, 3, 10, 10, 10, 14}, new Shape(1, 2, 2, 2));
            float[] out = Losses.channelStandardised(features).toFloatArray();
            float s = (float) Math.sqrt(3 + Losses.FEATURE_EPSILON);
            float u = (float) Math.sqrt(1 + Losses.FEATURE_EPSILON);
            assertThat(out).containsExactly(new float[] {-1 / u, 1 / u, -1 / u, 1 / u, -1 / s, -1 / s, -1 / s, 3 / s},
                    within(1e-5f));
        }
    }

    @Test
    void attentionTransferComparesWhereTheMapsAreActiveNotHowStrongly() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 2 channels on a 1x2 grid. Student: position 0 has (3, 1), position 1 has (0, 0): attention
            // (mean of squares) (5, 0), normalised (1, 0). Teacher: (0, 0) then (2, 2): attention (0, 4) -> (0, 1).
            NDArray student = m.create(new float[] {3, 0, 1, 0}, new Shape(1, 2, 1, 2));
            NDArray teacher = m.create(new float[] {0, 2, 0, 2}, new Shape(1, 2, 1, 2));
            assertThat(Losses.attentionMaps(student).toFloatArray()).containsExactly(new float[] {1, 0}, within(1e-5f));
            // 500 * mean((1 - 0)^2, (0 - 1)^2) = 500
            assertThat(Losses.attentionTransfer(student, teacher, m.create(new float[] {1})).getFloat())
                    .isCloseTo(500f, within(0.1f));
            // the same place, ten times as strong: no difference
            assertThat(Losses.attentionTransfer(student, student.mul(10), m.create(new float[] {1})).getFloat())
                    .isCloseTo(0f, within(1e-3f));
            // a sample without an ROI does not count
            assertThat(Losses.attentionTransfer(student, teacher, m.create(new float[] {0})).getFloat()).isZero();
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

    @Test
    void focalLossMatchesHandComputedValuesWithAndWithoutClassWeights() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2, 0, 0, 0, 1, 0}, new Shape(2, 3));
            NDArray targets = m.create(new int[] {0, 2});
            double p0 = Math.exp(2) / (Math.exp(2) + 2); // 0.7870
            double p1 = 1 / (Math.E + 2);                 // 0.2119
            // FL = -(1 - p)^2 log p: 0.21301^2 * 0.23954 and 0.78806^2 * 1.55144
            double fl0 = -Math.pow(1 - p0, 2) * Math.log(p0);
            double fl1 = -Math.pow(1 - p1, 2) * Math.log(p1);
            assertThat(fl0).isCloseTo(0.010869, within(1e-6));
            assertThat(fl1).isCloseTo(0.963503, within(1e-6));
            assertThat(Losses.focal(logits, targets, null, 2).getFloat()).isCloseTo((float) ((fl0 + fl1) / 2), within(1e-6f));
            // class weights (1, -, 3): averaged by the sum of the weights, as the weighted cross-entropy
            NDArray w = m.create(new float[] {1, 3});
            assertThat(Losses.focal(logits, targets, w, 2).getFloat())
                    .isCloseTo((float) ((fl0 + 3 * fl1) / 4), within(1e-6f));
            // another gamma: 0.5
            double g0 = -Math.pow(1 - p0, 0.5) * Math.log(p0);
            double g1 = -Math.pow(1 - p1, 0.5) * Math.log(p1);
            assertThat(Losses.focal(logits, targets, w, 0.5).getFloat())
                    .isCloseTo((float) ((g0 + 3 * g1) / 4), within(1e-6f));
            // the plain-Java form used for the validation loss agrees
            assertThat(Losses.focalOfNll(-Math.log(p1), 2)).isCloseTo(fl1, within(1e-12));
            assertThat(Losses.focalOfNll(-Math.log(p1), 0)).isEqualTo(-Math.log(p1));
        }
    }

    @Test
    void focalLossWithGammaZeroIsCrossEntropyAndFocusesOnHardSamples() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2, 0, 0, 0, 1, 0, -1, 3, 0.5f}, new Shape(3, 3));
            NDArray targets = m.create(new int[] {0, 2, 1});
            NDArray w = m.create(new float[] {0.5f, 2, 1});
            assertThat(Losses.focal(logits, targets, null, 0).getFloat())
                    .isEqualTo(Losses.crossEntropy(logits, targets, null).getFloat());
            assertThat(Losses.focal(logits, targets, w, 0).getFloat())
                    .isEqualTo(Losses.crossEntropy(logits, targets, w).getFloat());
            assertThat(Losses.classification(logits, targets, w, 0).getFloat())
                    .isEqualTo(Losses.crossEntropy(logits, targets, w).getFloat());
            assertThat(Losses.classification(logits, targets, w, 2).getFloat())
                    .isEqualTo(Losses.focal(logits, targets, w, 2).getFloat());
            // a confident right sample (p = 0.787) loses 95% of its loss at gamma 2, a wrong one (p = 0.21) 38%
            float[] ce = Losses.perSampleNll(logits, targets).toFloatArray();
            float easy = Losses.focal(logits.get("0:1"), targets.get("0:1"), null, 2).getFloat();
            float hard = Losses.focal(logits.get("1:2"), targets.get("1:2"), null, 2).getFloat();
            assertThat(easy / ce[0]).isCloseTo((float) Math.pow(1 - Math.exp(-ce[0]), 2), within(1e-5f)).isLessThan(0.05f);
            assertThat(hard / ce[1]).isCloseTo((float) Math.pow(1 - Math.exp(-ce[1]), 2), within(1e-5f)).isGreaterThan(0.6f);
        }
    }

    @Test
    void focalLossGradientStaysFiniteWhereTheTrueClassProbabilityRoundsToOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            // p_y = 1 in float32 for a logit margin of 40; gamma below 1 would give 0^(gamma-1) = inf
            NDArray logits = m.create(new float[] {40, 0, 0, 1}, new Shape(2, 2));
            logits.setRequiresGradient(true);
            NDArray targets = m.create(new int[] {0, 1});
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray loss = Losses.focal(logits, targets, null, 0.5);
                tape.backward(loss);
                double p = 1 / (1 + Math.exp(-1)); // the second sample's p_y = sigmoid(1)
                assertThat(loss.getFloat()).isCloseTo((float) (-Math.sqrt(1 - p) * Math.log(p) / 2), within(1e-6f));
            }
            float[] grad = logits.getGradient().toFloatArray();
            for (float g : grad) {
                assertThat(g).isFinite();
            }
            // the saturated sample contributes (next to) no gradient; the other one pushes its true class up
            assertThat(grad[0]).isCloseTo(0f, within(1e-20f));
            assertThat(grad[1]).isCloseTo(0f, within(1e-20f));
            assertThat(grad[3]).isNegative();
            assertThat(grad[2]).isCloseTo(-grad[3], within(1e-7f));
        }
    }
}
