package io.pneuknow.evaluate;

import static io.pneuknow.evaluate.Fixtures.ABC;
import static io.pneuknow.evaluate.Fixtures.binary;
import static io.pneuknow.evaluate.Fixtures.confident;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class MetricsTest {
    private static final Offset<Double> EXACT = within(1e-12);

    /*
     * Fixtures.eightImages(): confusion (rows true A B C, columns predicted A B C)
     *   A: 2 1 0   (support 3)
     *   B: 0 2 1   (support 3)
     *   C: 0 1 1   (support 2)
     * column totals (predicted): A 2, B 4, C 2; correct 5 of 8.
     */
    @Test
    void confusionMatrixMetricsMatchHandComputation() {
        MetricSet m = Metrics.of(Fixtures.eightImages(), ABC);

        assertThat(m.images()).isEqualTo(8);
        assertThat(m.confusion()).isDeepEqualTo(new int[][] {{2, 1, 0}, {0, 2, 1}, {0, 1, 1}});
        assertThat(m.accuracy()).isCloseTo(5.0 / 8, EXACT);

        ClassMetrics a = m.forClass("A");
        ClassMetrics b = m.forClass("B");
        ClassMetrics c = m.forClass("C");
        assertThat(List.of(a.support(), b.support(), c.support())).containsExactly(3, 3, 2);
        // precision = TP / predicted: A 2/2, B 2/4, C 1/2
        assertThat(a.precision()).isCloseTo(1.0, EXACT);
        assertThat(b.precision()).isCloseTo(0.5, EXACT);
        assertThat(c.precision()).isCloseTo(0.5, EXACT);
        // recall = TP / support: A 2/3, B 2/3, C 1/2
        assertThat(a.recall()).isCloseTo(2.0 / 3, EXACT);
        assertThat(b.recall()).isCloseTo(2.0 / 3, EXACT);
        assertThat(c.recall()).isCloseTo(0.5, EXACT);
        // specificity = TN / negatives: A 5/5 (no FP), B 3/5 (FP img3, img8), C 5/6 (FP img6)
        assertThat(a.specificity()).isCloseTo(1.0, EXACT);
        assertThat(b.specificity()).isCloseTo(3.0 / 5, EXACT);
        assertThat(c.specificity()).isCloseTo(5.0 / 6, EXACT);
        // F1 = 2PR/(P+R): A 2*1*(2/3)/(5/3) = 4/5; B 2*(1/2)*(2/3)/(7/6) = 4/7; C 1/2
        assertThat(a.f1()).isCloseTo(0.8, EXACT);
        assertThat(b.f1()).isCloseTo(4.0 / 7, EXACT);
        assertThat(c.f1()).isCloseTo(0.5, EXACT);

        // balanced accuracy = (2/3 + 2/3 + 1/2) / 3 = 11/18
        assertThat(m.balancedAccuracy()).isCloseTo(11.0 / 18, EXACT);
        // macro F1 = (4/5 + 4/7 + 1/2) / 3 = (56 + 40 + 35) / 70 / 3 = 131/210
        assertThat(m.macroF1()).isCloseTo(131.0 / 210, EXACT);
        // kappa: po = 5/8; pe = (3*2 + 3*4 + 2*2) / 64 = 22/64; (20/32 - 11/32) / (21/32) = 9/21 = 3/7
        assertThat(m.cohenKappa()).isCloseTo(3.0 / 7, EXACT);
        assertThat(m.notes()).isEmpty();
    }

    /*
     * One-vs-rest AUC on the eight images (score 0.8 if predicted as the class, else 0.1):
     *   A: positives img1,2 (0.8), img3 (0.1); negatives img4..8 all 0.1.
     *      0.8 beats 5 each -> 10; 0.1 ties 5 -> 2.5; 12.5 / 15 = 5/6
     *   B: positives img4,5 (0.8), img6 (0.1); negatives img1,2,7 (0.1), img3,8 (0.8).
     *      0.8: beats 3, ties 2 -> 4 each -> 8; 0.1: ties 3 -> 1.5; 9.5 / 15 = 19/30
     *   C: positives img7 (0.8), img8 (0.1); negatives img1..5 (0.1), img6 (0.8).
     *      0.8: beats 5, ties 1 -> 5.5; 0.1: ties 5 -> 2.5; 8 / 12 = 2/3
     *   macro = (25 + 19 + 20) / 30 / 3 = 64/90
     */
    @Test
    void oneVsRestAucCountsTiesAsHalf() {
        MetricSet m = Metrics.of(Fixtures.eightImages(), ABC);

        assertThat(m.forClass("A").auc()).isCloseTo(5.0 / 6, EXACT);
        assertThat(m.forClass("B").auc()).isCloseTo(19.0 / 30, EXACT);
        assertThat(m.forClass("C").auc()).isCloseTo(2.0 / 3, EXACT);
        assertThat(m.macroAuc()).isCloseTo(64.0 / 90, EXACT);
    }

    @Test
    void binaryAucWithTiesAndConstantScores() {
        // scores [0.9, 0.5, 0.5, 0.1], labels [1, 1, 0, 0]: pairs (0.9>0.5, 0.9>0.1, 0.5=0.5 -> 1/2, 0.5>0.1) = 3.5/4
        List<Prediction> tied = List.of(binary("a", "a", 1, 0.9), binary("b", "b", 1, 0.5),
                binary("c", "c", 0, 0.5), binary("d", "d", 0, 0.1));
        assertThat(Metrics.of(tied, List.of("no", "yes")).forClass("yes").auc()).isCloseTo(0.875, EXACT);
        assertThat(Metrics.auc(new double[] {0.9, 0.5}, new double[] {0.5, 0.1})).isCloseTo(0.875, EXACT);

        List<Prediction> constant = List.of(binary("a", "a", 1, 0.3), binary("b", "b", 1, 0.3),
                binary("c", "c", 0, 0.3), binary("d", "d", 0, 0.3));
        MetricSet m = Metrics.of(constant, List.of("no", "yes"));
        assertThat(m.forClass("yes").auc()).isCloseTo(0.5, EXACT);
        assertThat(m.forClass("no").auc()).isCloseTo(0.5, EXACT);
        assertThat(Metrics.auc(new double[] {0.2, 0.1}, new double[] {0.6, 0.7})).isCloseTo(0.0, EXACT);
    }

    /*
     * Class C absent from the truth but predicted once (img4, true B):
     *   true A A B B, pred A B B C.
     * C: recall and AUC NaN (no positives); precision 0/1 = 0; F1 = 0 / (0 + 1 + 0) = 0.
     * Balanced accuracy skips C: (1/2 + 1/2) / 2 = 1/2; macro AUC over A and B only.
     */
    @Test
    void classAbsentFromTruthGivesNaNWithNote() {
        List<Prediction> predictions = List.of(confident("1", 0, 0, 3), confident("2", 0, 1, 3),
                confident("3", 1, 1, 3), confident("4", 1, 2, 3));

        MetricSet m = Metrics.of(predictions, ABC);

        ClassMetrics c = m.forClass("C");
        assertThat(c.support()).isZero();
        assertThat(c.recall()).isNaN();
        assertThat(c.auc()).isNaN();
        assertThat(c.notes()).containsEntry("recall", "no positive images of class C")
                .containsEntry("auc", "no positive images of class C");
        assertThat(c.precision()).isCloseTo(0.0, EXACT);
        assertThat(c.f1()).isCloseTo(0.0, EXACT);
        assertThat(m.balancedAccuracy()).isCloseTo(0.5, EXACT);
        assertThat(m.notes().get("balanced_accuracy")).contains("mean over 2 of 3 classes", "skipped C");
        assertThat(m.notes().get("macro_auc")).contains("skipped C");
        // A: positives img1 (0.8), img2 (0.1); negatives img3, img4 (0.1): (2 + 1) / 4 = 3/4
        // B: positives img3 (0.8), img4 (0.1); negatives img1 (0.1), img2 (0.8): (1.5 + 0.5) / 4 = 1/2
        assertThat(m.macroAuc()).isCloseTo((0.75 + 0.5) / 2, EXACT);
    }

    @Test
    void classNeverPredictedHasNaNPrecision() {
        // true A B C C, pred A B B B: C present (support 2) but never predicted
        List<Prediction> predictions = List.of(confident("1", 0, 0, 3), confident("2", 1, 1, 3),
                confident("3", 2, 1, 3), confident("4", 2, 1, 3));

        MetricSet m = Metrics.of(predictions, ABC);

        ClassMetrics c = m.forClass("C");
        assertThat(c.precision()).isNaN();
        assertThat(c.notes()).containsEntry("precision", "class C never predicted");
        assertThat(c.recall()).isCloseTo(0.0, EXACT);
        assertThat(c.f1()).isCloseTo(0.0, EXACT);
        assertThat(c.specificity()).isCloseTo(1.0, EXACT);
        // F1 is defined for every class here: A 1; B TP 1, FP 2 (img3, img4) -> 2 / (2 + 2 + 0) = 1/2; C 0
        assertThat(m.macroF1()).isCloseTo((1 + 0.5 + 0) / 3, EXACT);
        assertThat(m.notes()).doesNotContainKey("macro_f1");
    }

    @Test
    void singleClassTruthAndPredictionsGivesNaNKappa() {
        List<Prediction> predictions = List.of(confident("1", 0, 0, 2), confident("2", 0, 0, 2));

        MetricSet m = Metrics.of(predictions, List.of("A", "B"));

        assertThat(m.accuracy()).isCloseTo(1.0, EXACT);
        assertThat(m.cohenKappa()).isNaN();
        assertThat(m.notes()).containsKey("cohen_kappa");
        assertThat(m.forClass("A").specificity()).isNaN();
        assertThat(m.forClass("B").f1()).isNaN();
        assertThat(m.forClass("B").notes()).containsEntry("f1", "class B neither present nor predicted");
    }

    @Test
    void emptyPredictionsGiveNaNNotAnException() {
        MetricSet m = Metrics.of(List.of(), ABC);

        assertThat(m.images()).isZero();
        assertThat(m.accuracy()).isNaN();
        assertThat(m.brier()).isNaN();
        assertThat(m.ece()).isNaN();
        assertThat(m.notes()).containsEntry("accuracy", "no images");
    }

    /*
     * Brier on the eight images: a right image (0.8, 0.1, 0.1) -> 0.2^2 + 0.1^2 + 0.1^2 = 0.06;
     * a wrong one -> (0.1 - 1)^2 + 0.8^2 + 0.1^2 = 1.46; (5 * 0.06 + 3 * 1.46) / 8 = 0.585.
     * ECE: every confidence is 0.8, one bin with accuracy 5/8: |0.625 - 0.8| = 0.175.
     */
    @Test
    void brierAndEceOnEightImages() {
        MetricSet m = Metrics.of(Fixtures.eightImages(), ABC);

        assertThat(m.brier()).isCloseTo(0.585, within(1e-12));
        assertThat(m.ece()).isCloseTo(0.175, within(1e-12));
        assertThat(m.reliability()).hasSize(15);
        ReliabilityBin bin = m.reliability().get(12);
        assertThat(bin.lower()).isCloseTo(0.8, within(1e-12));
        assertThat(bin.count()).isEqualTo(8);
        assertThat(bin.accuracy()).isCloseTo(0.625, EXACT);
        assertThat(m.reliability().stream().mapToInt(ReliabilityBin::count).sum()).isEqualTo(8);
    }

    /*
     * Two bins: confidence 0.95 (bin 14) twice, both right; confidence 0.65 (bin 9) twice, one right.
     * ECE = 2/4 * |1 - 0.95| + 2/4 * |0.5 - 0.65| = 0.025 + 0.075 = 0.1.
     * Brier: 0.05^2 * 2 = 0.005 (twice); p = (0.35, 0.65) true 1 -> 0.35^2 * 2 = 0.245; true 0 -> 0.65^2 * 2 = 0.845;
     * (0.005 + 0.005 + 0.245 + 0.845) / 4 = 0.275.
     */
    @Test
    void eceWeightsBinsByCount() {
        List<Prediction> predictions = List.of(binary("a", "a", 0, 0.05), binary("b", "b", 0, 0.05),
                binary("c", "c", 1, 0.65), binary("d", "d", 0, 0.65));

        MetricSet m = Metrics.of(predictions, List.of("no", "yes"));

        assertThat(m.ece()).isCloseTo(0.1, within(1e-12));
        assertThat(m.brier()).isCloseTo(0.275, within(1e-12));
        assertThat(m.reliability().get(14).meanConfidence()).isCloseTo(0.95, within(1e-12));
        assertThat(m.reliability().get(9).accuracy()).isCloseTo(0.5, EXACT);
        assertThat(m.reliability().get(0).meanConfidence()).isNaN();
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> new Prediction("x", "p", 0, 0.5, 0.6)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("summing to");
        assertThatThrownBy(() -> new Prediction("x", "p", 2, 0.5, 0.5)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("true class 2");
        assertThatThrownBy(() -> Metrics.of(Fixtures.eightImages(), List.of("A", "B")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("3 probabilities but there are 2 classes");
    }

    @Test
    void predictedClassIsTheFirstArgmax() {
        assertThat(new Prediction("x", "p", 0, 0.4, 0.4, 0.2).predictedClass()).isZero();
        assertThat(new Prediction("x", "p", 0, 0.2, 0.4, 0.4).predictedClass()).isEqualTo(1);
    }
}
