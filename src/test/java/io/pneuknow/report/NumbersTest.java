package io.pneuknow.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.evaluate.Interval;
import org.junit.jupiter.api.Test;

class NumbersTest {
    private static final Interval DIFFERENCE = new Interval(-0.0123, -0.05049, 0.0251, 100, 100);

    @Test
    void writesThreeDecimalsAndThePlaceholderForUndefinedValues() {
        assertThat(Numbers.three(0.12345, "n/a")).isEqualTo("0.123");
        assertThat(Numbers.three(Double.NaN, "–")).isEqualTo("–");
        assertThat(Numbers.withInterval(DIFFERENCE, "–")).isEqualTo("-0.012 (-0.050, 0.025)");
        assertThat(Numbers.withInterval(null, "–")).isEqualTo("–");
        assertThat(Numbers.signed(DIFFERENCE, "–")).isEqualTo("-0.012 (-0.050, +0.025)");
        assertThat(Numbers.range(DIFFERENCE)).isEqualTo("-0.050 to 0.025");
        assertThat(Numbers.range(new Interval(0.5, Double.NaN, Double.NaN, 0, 0))).isEqualTo("n/a");
        assertThat(Numbers.meanSd(0.8, 0.0456, "–")).isEqualTo("0.800 ± 0.046");
        assertThat(Numbers.meanSd(0.8, Double.NaN, "–")).isEqualTo("0.800");
        assertThat(Numbers.meanSd(Double.NaN, 0.1, "–")).isEqualTo("–");
    }
}
