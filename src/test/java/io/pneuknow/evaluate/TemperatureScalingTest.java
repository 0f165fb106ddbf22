package io.pneuknow.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TemperatureScalingTest {
    private static final int N = 20_000;

    /** Logits z ~ 3 N(0, 1) over 3 classes; labels drawn from softmax(z / T). */
    private static int[] sampleLabels(double[][] logits, double temperature, SplittableRandom random) {
        double[][] p = TemperatureScaling.apply(logits, temperature);
        int[] labels = new int[logits.length];
        for (int i = 0; i < logits.length; i++) {
            double u = random.nextDouble();
            int k = 0;
            for (double cumulative = p[i][0]; u > cumulative && k < p[i].length - 1; cumulative += p[i][++k]) {
                // walk the cumulative distribution
            }
            labels[i] = k;
        }
        return labels;
    }

    private static double[][] logits(SplittableRandom random) {
        double[][] z = new double[N][3];
        for (double[] row : z) {
            for (int k = 0; k < 3; k++) {
                row[k] = 3 * random.nextGaussian();
            }
        }
        return z;
    }

    @Test
    void recoversAKnownTemperature() {
        SplittableRandom random = new SplittableRandom(2024);
        double[][] z = logits(random);
        int[] labels = sampleLabels(z, 2.0, random);

        double t = TemperatureScaling.fit(z, labels);

        assertThat(t).isCloseTo(2.0, within(0.1));
        assertThat(TemperatureScaling.meanNll(z, labels, t)).isLessThan(TemperatureScaling.meanNll(z, labels, 1.0));
    }

    @Test
    void calibratedLogitsKeepTemperatureOne() {
        SplittableRandom random = new SplittableRandom(7);
        double[][] z = logits(random);
        int[] labels = sampleLabels(z, 1.0, random);

        assertThat(TemperatureScaling.fit(z, labels)).isCloseTo(1.0, within(0.1));
    }

    @Test
    void applyIsAStableSoftmaxOfScaledLogits() {
        double[][] p = TemperatureScaling.apply(new double[][] {{Math.log(1), Math.log(3)}, {1000, 1000}}, 1.0);
        assertThat(p[0]).containsExactly(new double[] {0.25, 0.75}, within(1e-12));
        assertThat(p[1]).containsExactly(new double[] {0.5, 0.5}, within(1e-12));
        // T = 2 halves the logits: softmax(0, ln 9 / 2) = softmax(0, ln 3)
        double[][] q = TemperatureScaling.apply(new double[][] {{0, Math.log(9)}}, 2.0);
        assertThat(q[0]).containsExactly(new double[] {0.25, 0.75}, within(1e-12));
        assertThatThrownBy(() -> TemperatureScaling.apply(p, 0)).isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> TemperatureScaling.fit(new double[][] {{0, 1}}, new int[] {2}))
                .isInstanceOf(BadInputException.class).hasMessageContaining("label 2");
    }

    @Test
    void aPerfectlySeparatedValidationSetIsRefusedAndKeepsTemperatureOne() {
        SplittableRandom random = new SplittableRandom(3);
        double[][] z = new double[60][3];
        int[] labels = new int[60];
        for (int i = 0; i < z.length; i++) { // every image right, with margins of 4 to 40 logits
            labels[i] = i % 3;
            z[i][labels[i]] = 4 + 36 * random.nextDouble();
        }
        assertThat(TemperatureScaling.fit(z, labels)).isCloseTo(Math.exp(-TemperatureScaling.LOG_RANGE), within(1e-3));

        TemperatureScaling.Calibration calibration = TemperatureScaling.calibrate(z, labels);

        assertThat(calibration.applied()).isFalse();
        assertThat(calibration.temperature()).isEqualTo(1.0);
        assertThat(calibration.validationImages()).isEqualTo(60);
        assertThat(calibration.notApplied()).contains("all 60 validation images are classified correctly");
    }

    @Test
    void aFitEndingAtTheBoundOfItsSearchIsRefused() {
        SplittableRandom random = new SplittableRandom(5);
        double[][] z = logits(random);
        int[] labels = sampleLabels(z, 40.0, random); // truth beyond the search's upper end, 20.1

        TemperatureScaling.Calibration calibration = TemperatureScaling.calibrate(z, labels);

        assertThat(calibration.applied()).isFalse();
        assertThat(calibration.temperature()).isEqualTo(1.0);
        assertThat(calibration.fittedTemperature()).isCloseTo(Math.exp(TemperatureScaling.LOG_RANGE), within(0.01));
        assertThat(calibration.notApplied()).contains("ended at the upper bound of its search (20.09)");
    }

    @Test
    void tooFewImagesOrASingleClassAreRefused() {
        double[][] few = {{2, 0, 0}, {0, 2, 0}, {0, 0, 2}, {0, 2, 0}};
        assertThat(TemperatureScaling.calibrate(few, new int[] {0, 1, 2, 0}).notApplied())
                .isEqualTo("only 4 validation images, fewer than the 30 a temperature fit needs");
        double[][] one = new double[40][];
        int[] zeros = new int[40];
        for (int i = 0; i < one.length; i++) {
            one[i] = new double[] {i % 2 == 0 ? 1 : -1, 0, 0};
        }
        TemperatureScaling.Calibration single = TemperatureScaling.calibrate(one, zeros);
        assertThat(single.notApplied()).isEqualTo("all 40 validation images are of class 0: a temperature fitted to one class says nothing about the others");
        assertThat(single.temperature()).isEqualTo(1.0);
    }

    @Test
    void logitsScaledByThreeFromACalibratedSetGetATemperatureNearThree() {
        SplittableRandom random = new SplittableRandom(11);
        double[][] z = logits(random);
        int[] labels = sampleLabels(z, 1.0, random); // calibrated as they are
        double[][] overconfident = new double[z.length][];
        for (int i = 0; i < z.length; i++) {
            overconfident[i] = new double[] {3 * z[i][0], 3 * z[i][1], 3 * z[i][2]};
        }

        TemperatureScaling.Calibration calibration = TemperatureScaling.calibrate(overconfident, labels);

        assertThat(calibration.applied()).isTrue();
        assertThat(calibration.notApplied()).isNull();
        assertThat(calibration.temperature()).isCloseTo(3.0, within(0.15));
        assertThat(calibration.fittedTemperature()).isEqualTo(calibration.temperature());
    }
}
