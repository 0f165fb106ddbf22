package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The interval of ours / peer over rounds (issue 21): a t interval of the mean log ratio, on hand-made ratios. */
class RatioIntervalTest {
    @Test
    void fiveRoundsGiveTheGeometricMeanAndTheTIntervalOfTheLogs() {
        // logs: ln 0.8, ln 0.9, ln 1.0, ln 1.1, ln 1.2 = -0.22314, -0.10536, 0, 0.09531, 0.18232
        // mean -0.010174, sample sd 0.160235, t(0.975, 4) = 2.776, half width 2.776 * 0.160235 / sqrt 5 = 0.198927
        Stats.RatioInterval r = Stats.ratioInterval(new double[] {0.8, 0.9, 1.0, 1.1, 1.2});
        assertThat(r.n()).isEqualTo(5);
        assertThat(r.center()).isCloseTo(0.98988, within(1e-4));
        assertThat(r.low()).isCloseTo(Math.exp(-0.010174 - 0.198927), within(1e-5)).isCloseTo(0.81131, within(1e-4));
        assertThat(r.high()).isCloseTo(Math.exp(-0.010174 + 0.198927), within(1e-5)).isCloseTo(1.20774, within(1e-4));
        assertThat(r.describe()).isEqualTo("0.990 (95 % t interval 0.811-1.208, 5 rounds)");
    }

    @Test
    void identicalRatiosHaveAZeroWidthIntervalAndReciprocalsAreSymmetric() {
        Stats.RatioInterval same = Stats.ratioInterval(new double[] {1.25, 1.25, 1.25});
        assertThat(same.low()).isCloseTo(1.25, within(1e-12));
        assertThat(same.high()).isCloseTo(1.25, within(1e-12));
        // 0.5 and 2 are equally far from parity: centre 1, interval symmetric in the log
        Stats.RatioInterval sym = Stats.ratioInterval(new double[] {0.5, 2.0});
        assertThat(sym.center()).isCloseTo(1.0, within(1e-12));
        assertThat(sym.low() * sym.high()).isCloseTo(1.0, within(1e-9));
        // two rounds: t(0.975, 1) = 12.706, sd of (ln .5, ln 2) = 0.98026, half = 12.706 * 0.98026 / sqrt 2 = 8.807
        assertThat(Math.log(sym.high())).isCloseTo(8.807, within(1e-3));
    }

    @Test
    void oneRoundHasNoIntervalAndTheTargetIsDecidedByTheIntervalElseByTheValue() {
        Stats.RatioInterval one = Stats.ratioInterval(new double[] {0.92});
        assertThat(one.center()).isCloseTo(0.92, within(1e-12));
        assertThat(one.low()).isNaN();
        assertThat(one.describe()).isEqualTo("0.920 (1 round, no interval)");

        BenchReport.Builder b = new BenchReport.Builder();
        b.atLeast("met", "m", Stats.ratioInterval(new double[] {1.10, 1.20, 1.15, 1.12, 1.18}), 1.0, null);
        b.atLeast("not", "n", Stats.ratioInterval(new double[] {0.80, 0.85, 0.90, 0.82, 0.88}), 1.0, null);
        b.atLeast("open", "o", Stats.ratioInterval(new double[] {0.8, 0.9, 1.0, 1.1, 1.2}), 1.0, null);
        b.atLeast("one", "1", one, 1.0, null);
        BenchReport report = b.build("d", "c");
        assertThat(report.targets()).extracting(BenchReport.Target::verdict)
                .containsExactly("met", "NOT met", "inconclusive", "NOT met");
        assertThat(report.targets().get(2).note()).isEqualTo("0.990 (95 % t interval 0.811-1.208, 5 rounds)");
        assertThat(report.targets().get(3).note()).isEqualTo("0.920 (1 round, no interval); one round decides by its value alone");
        assertThat(report.toMarkdown()).contains("| o | 0.990 | >= 1.000 | inconclusive |");
    }

    @Test
    void tQuantilesFromTheTableAndBeyond() {
        assertThat(Stats.t975(4)).isEqualTo(2.776);
        assertThat(Stats.t975(30)).isEqualTo(2.042);
        // exact 2.0003 at 60 degrees of freedom
        assertThat(Stats.t975(60)).isCloseTo(2.0003, within(2e-3));
    }
}
