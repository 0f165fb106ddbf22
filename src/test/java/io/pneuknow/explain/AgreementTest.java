package io.pneuknow.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.image.GreyImage;
import org.junit.jupiter.api.Test;

class AgreementTest {

    private static GreyImage image(float[][] rows) {
        int h = rows.length;
        int w = rows[0].length;
        float[] px = new float[w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(rows[y], 0, px, y * w, w);
        }
        return new GreyImage(w, h, px);
    }

    /** 4x4, region = top-left 2x2. */
    private static final GreyImage MASK4 = image(new float[][] {
            {1, 1, 0, 0},
            {1, 1, 0, 0},
            {0, 0, 0, 0},
            {0, 0, 0, 0}});

    /** Heat 10 in total, 8 inside; one region pixel (1,1) has heat 0. */
    private static final GreyImage HEAT4 = image(new float[][] {
            {4, 2, 0, 0},
            {2, 0, 0, 0},
            {0, 0, 1, 0},
            {0, 0, 0, 1}});

    /** 5x5, region = centre 3x3 (9 of 25 pixels). */
    private static final GreyImage MASK5 = image(new float[][] {
            {0, 0, 0, 0, 0},
            {0, 1, 1, 1, 0},
            {0, 1, 1, 1, 0},
            {0, 1, 1, 1, 0},
            {0, 0, 0, 0, 0}});

    @Test
    void energyIsTheShareOfHeatInsideTheRegion() {
        assertThat(Agreement.energyPointingGame(HEAT4, MASK4)).isCloseTo(0.8, within(1e-12));
        GreyImage constant = image(new float[][] {
                {3, 3, 3, 3, 3}, {3, 3, 3, 3, 3}, {3, 3, 3, 3, 3}, {3, 3, 3, 3, 3}, {3, 3, 3, 3, 3}});
        assertThat(Agreement.energyPointingGame(constant, MASK5)).isCloseTo(9.0 / 25, within(1e-12));
    }

    @Test
    void hitAsksWhetherTheFirstMaximumIsInside() {
        assertThat(Agreement.hit(HEAT4, MASK4)).isTrue();
        GreyImage outside = image(new float[][] {
                {1, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 5, 0}, {0, 0, 0, 0}});
        assertThat(Agreement.hit(outside, MASK4)).isFalse();
        // ties: the first maximum in row-major order decides
        GreyImage tieOutsideFirst = image(new float[][] {
                {0, 0, 0, 7}, {7, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}});
        assertThat(Agreement.hit(tieOutsideFirst, MASK4)).isFalse();
        GreyImage tieInsideFirst = image(new float[][] {
                {0, 7, 0, 0}, {0, 0, 0, 7}, {0, 0, 0, 0}, {0, 0, 0, 0}});
        assertThat(Agreement.hit(tieInsideFirst, MASK4)).isTrue();
    }

    @Test
    void iouThresholdsTheHeatAtAFractionOfItsMaximum() {
        // >= 2: the three hot region pixels; region has 4 -> 3/4
        assertThat(Agreement.iou(HEAT4, MASK4, 0.5)).isCloseTo(0.75, within(1e-12));
        // >= 0.4: five pixels, 3 inside; union 4 + 2 -> 3/6
        assertThat(Agreement.iou(HEAT4, MASK4, 0.1)).isCloseTo(0.5, within(1e-12));
        // the default is 0.5
        assertThat(Agreement.scores(HEAT4, MASK4).iou()).isCloseTo(0.75, within(1e-12));
        // zero heat is never "hot", even at fraction 0
        assertThat(Agreement.iou(HEAT4, MASK4, 0.0)).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void auprcIsOneForAPerfectRankingAndTheRegionShareForConstantHeat() {
        GreyImage perfect = image(new float[][] {
                {0.1f, 0.2f, 0.3f, 0.1f, 0.0f},
                {0.2f, 0.9f, 0.5f, 0.6f, 0.1f},
                {0.0f, 0.7f, 1.0f, 0.8f, 0.4f},
                {0.3f, 0.5f, 0.6f, 0.9f, 0.0f},
                {0.1f, 0.2f, 0.0f, 0.3f, 0.2f}});
        assertThat(Agreement.auprc(perfect, MASK5)).isCloseTo(1.0, within(1e-12));
        GreyImage constant = image(new float[][] {
                {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}});
        assertThat(Agreement.auprc(constant, MASK5)).isCloseTo(9.0 / 25, within(1e-12));
        assertThat(Agreement.auprc(image(new float[4][4]), MASK4)).isCloseTo(0.25, within(1e-12));
    }

    @Test
    void auprcOfAMixedRankingGroupsTiedScores() {
        // score 4: 1 of 4 positives at precision 1/1; score 2 (two pixels, both in): recall +2/4 at 3/3;
        // score 1: no positives; score 0 (11 pixels, 1 in): recall +1/4 at precision 4/16
        double expected = 0.25 * 1 + 0.5 * 1 + 0.25 * (4.0 / 16);
        assertThat(Agreement.auprc(HEAT4, MASK4)).isCloseTo(expected, within(1e-12)).isCloseTo(0.8125, within(1e-12));
        // ties across the boundary: scores 3 (in), 2 (in, out), 1 (in), 0 elsewhere, out
        GreyImage mask = image(new float[][] {{1, 1, 0}, {1, 0, 0}});
        GreyImage heat = image(new float[][] {{3, 2, 2}, {1, 0, 0}});
        // 3: +1/3 at 1/1; 2: +1/3 at 2/3; 1: +1/3 at 3/4
        assertThat(Agreement.auprc(heat, mask)).isCloseTo((1.0 + 2.0 / 3 + 3.0 / 4) / 3, within(1e-12));
    }

    @Test
    void scoresRecordCollectsAll() {
        AgreementScores s = Agreement.scores(HEAT4, MASK4, 0.1);
        assertThat(s.energy()).isCloseTo(0.8, within(1e-12));
        assertThat(s.hit()).isTrue();
        assertThat(s.iou()).isCloseTo(0.5, within(1e-12));
        assertThat(s.auprc()).isCloseTo(0.8125, within(1e-12));
        assertThat(Agreement.undefined(HEAT4, MASK4)).isEmpty();
    }

    @Test
    void undefinedScoresAreNanWithAReason() {
        GreyImage zeroHeat = image(new float[4][4]);
        GreyImage emptyMask = image(new float[4][4]);
        assertThat(Agreement.energyPointingGame(zeroHeat, MASK4)).isNaN();
        assertThat(Agreement.undefined(zeroHeat, MASK4)).hasValueSatisfying(r -> assertThat(r).contains("all zero"));
        assertThat(Agreement.energyPointingGame(HEAT4, emptyMask)).isNaN();
        assertThat(Agreement.auprc(HEAT4, emptyMask)).isNaN();
        assertThat(Agreement.iou(HEAT4, emptyMask, 0.5)).isZero(); // hot pixels, empty region: 0 / 3
        assertThat(Agreement.iou(zeroHeat, emptyMask, 0.5)).isNaN();
        assertThat(Agreement.undefined(HEAT4, emptyMask)).hasValueSatisfying(r -> assertThat(r).contains("region is empty"));
    }

    @Test
    void rejectsNegativeHeatAndSizeMismatch() {
        GreyImage negative = image(new float[][] {{1, -1, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}});
        assertThatThrownBy(() -> Agreement.scores(negative, MASK4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(">= 0");
        assertThatThrownBy(() -> Agreement.scores(HEAT4, MASK5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("differ in size");
    }
}
