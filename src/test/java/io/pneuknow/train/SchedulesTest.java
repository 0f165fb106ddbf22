package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SchedulesTest {
    @Test
    void alphaDecaysLinearlyToZeroAtKdEpochsAndStaysThere() {
        // the reference: alpha(e) = 0.5 * (1 - e / 40) for e < 40, else 0
        assertThat(Schedules.alpha(0.5f, 40, 0)).isEqualTo(0.5f);
        assertThat(Schedules.alpha(0.5f, 40, 10)).isCloseTo(0.375f, within(1e-7f));
        assertThat(Schedules.alpha(0.5f, 40, 20)).isCloseTo(0.25f, within(1e-7f));
        assertThat(Schedules.alpha(0.5f, 40, 39)).isCloseTo(0.0125f, within(1e-7f));
        assertThat(Schedules.alpha(0.5f, 40, 40)).isZero();
        assertThat(Schedules.alpha(0.5f, 40, 59)).isZero();
        assertThat(Schedules.alpha(0.5f, 0, 0)).isZero();
    }

    @Test
    void cosineLearningRatePerEpochAndTheReferencesPerBatchQuirk() {
        assertThat(Schedules.learningRate(1e-4f, 0, 60, 0, false)).isCloseTo(1e-4f, within(1e-12f));
        assertThat(Schedules.learningRate(1e-4f, 30, 60, 999, false)).isCloseTo(0.5e-4f, within(1e-10f));
        assertThat(Schedules.learningRate(1e-4f, 15, 60, 0, false))
                .isCloseTo((float) (1e-4 * (1 + Math.cos(Math.PI / 4)) / 2), within(1e-10f));
        // per batch: the period is counted in epochs but stepped per batch, so after 60 batches the rate is 0
        assertThat(Schedules.learningRate(1e-4f, 0, 60, 60, true)).isCloseTo(0f, within(1e-10f));
        assertThat(Schedules.learningRate(1e-4f, 0, 60, 120, true)).isCloseTo(1e-4f, within(1e-10f));
    }

    @Test
    void mixedSeedsDifferForEveryPart() {
        assertThat(Schedules.mix(1, 0, 0)).isNotEqualTo(Schedules.mix(1, 0, 1));
        assertThat(Schedules.mix(1, 0, 1)).isNotEqualTo(Schedules.mix(1, 1, 0));
        assertThat(Schedules.mix(1, 2, 3)).isEqualTo(Schedules.mix(1, 2, 3));
    }
}
