package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The leak rule of issue 21, item 3 (docs/benchmarks.md): the slope of per-epoch memory after the warm-up, with its
 * 95 % t interval against the threshold, on hand-made series. Epochs 0..9 after the warm-up: mean 4.5, Sxx = 82.5,
 * t(0.975, 8) = 2.306.
 */
class LeakTrendTest {
    /** The verdict of the resident-memory target for a series of student epochs (the warm-up included). */
    private static String verdict(double... perEpoch) {
        BenchReport.Builder b = new BenchReport.Builder();
        b.slopeAtMost("t", "t", Stats.slopeInterval(LeakBench.fitted(perEpoch)), LeakBench.LEAK_RSS_MIB_PER_EPOCH,
                "MiB/epoch", null);
        return b.build("d", "c").targets().get(0).verdict();
    }

    @Test
    void aSteadyRiseIsALeak() {
        // 1000 + 10 per epoch, +-1: Sxy = 825.5, slope 825.5 / 82.5 = 10.00606; residuals' SSR 8.89697,
        // s = sqrt(8.89697 / 8 / 82.5) = 0.11610; interval 10.00606 -+ 2.306 x 0.11610 = 9.73832 to 10.27380
        double[] rise = {1000, 1011, 1019, 1031, 1039, 1051, 1059, 1071, 1079, 1091};
        Stats.SlopeInterval s = Stats.slopeInterval(rise);
        assertThat(s.slope()).isCloseTo(10.00606, within(1e-5));
        assertThat(s.low()).isCloseTo(9.73832, within(1e-4));
        assertThat(s.high()).isCloseTo(10.27380, within(1e-4));
        assertThat(s.n()).isEqualTo(10);
        assertThat(s.describe("MiB/epoch")).isEqualTo("10.01 MiB/epoch (95 % t interval 9.74 to 10.27, 10 epochs)");
        // the two warm-up epochs before it are left out, whatever they hold
        assertThat(verdict(1500, 700, 1000, 1011, 1019, 1031, 1039, 1051, 1059, 1071, 1079, 1091)).isEqualTo("NOT met");
    }

    @Test
    void aBurstOrAReleaseIsNotALeak() {
        // flat at 1200 with one burst of +100 in the last epoch: Sxy = 451.5, slope 5.47273, SSR 6483.16,
        // s = 3.13416; interval -1.75465 to 12.70011 holds the threshold (4): inconclusive, not a leak
        double[] burst = {1200, 1202, 1199, 1201, 1200, 1198, 1201, 1200, 1202, 1300};
        Stats.SlopeInterval b = Stats.slopeInterval(burst);
        assertThat(b.slope()).isCloseTo(5.47273, within(1e-5));
        assertThat(b.low()).isCloseTo(-1.75465, within(1e-4));
        assertThat(b.high()).isCloseTo(12.70011, within(1e-4));
        assertThat(verdict(0, 0, 1200, 1202, 1199, 1201, 1200, 1198, 1201, 1200, 1202, 1300)).isEqualTo("inconclusive");
        // 1300 falling to 1200 half way (tcmalloc handing pages back): slope -15.13333, s 3.06844,
        // interval -22.20917 to -8.05750, wholly below the threshold: no leak shown
        double[] release = {1300, 1301, 1299, 1300, 1302, 1200, 1201, 1199, 1200, 1201};
        Stats.SlopeInterval r = Stats.slopeInterval(release);
        assertThat(r.slope()).isCloseTo(-15.13333, within(1e-5));
        assertThat(r.high()).isCloseTo(-8.05750, within(1e-4));
        assertThat(verdict(0, 0, 1300, 1301, 1299, 1300, 1302, 1200, 1201, 1199, 1200, 1201)).isEqualTo("met");
        // a burst of three epochs, then a release below the start: slope -6.66061, s 6.48169,
        // interval -21.60738 to 8.28616: inconclusive
        double[] both = {1250, 1251, 1249, 1350, 1352, 1351, 1250, 1249, 1200, 1201};
        Stats.SlopeInterval t = Stats.slopeInterval(both);
        assertThat(t.slope()).isCloseTo(-6.66061, within(1e-5));
        assertThat(t.low()).isCloseTo(-21.60738, within(1e-4));
        assertThat(t.high()).isCloseTo(8.28616, within(1e-4));
        assertThat(verdict(0, 0, 1250, 1251, 1249, 1350, 1352, 1351, 1250, 1249, 1200, 1201)).isEqualTo("inconclusive");
    }

    @Test
    void aFlatHeapHasAZeroWidthIntervalAndTooFewPointsHaveNone() {
        Stats.SlopeInterval flat = Stats.slopeInterval(new double[] {12.8, 12.8, 12.8, 12.8, 12.8, 12.8, 12.8, 12.8});
        assertThat(flat.slope()).isCloseTo(0, within(1e-12));
        assertThat(flat.high()).isCloseTo(0, within(1e-12));
        assertThat(Stats.slopeInterval(new double[] {1, 2}).low()).isNaN();
        BenchReport.Builder b = new BenchReport.Builder();
        b.slopeAtMost("h", "h", flat, LeakBench.LEAK_HEAP_MIB_PER_EPOCH, "MiB/epoch", null);
        b.slopeAtMost("two", "two", Stats.slopeInterval(new double[] {1, 2}), 4, "MiB/epoch", null);
        assertThat(b.build("d", "c").targets()).extracting(BenchReport.Target::verdict)
                .containsExactly("met", "inconclusive");
    }
}
