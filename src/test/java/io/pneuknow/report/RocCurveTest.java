package io.pneuknow.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class RocCurveTest {
    @Test
    void pointsOfAHandMadeCaseWithATie() {
        // thresholds 0.9, 0.8, 0.6 (one positive and one negative tie: a diagonal step), 0.4, 0.1
        RocCurve roc = RocCurve.of("c", new double[] {0.4, 0.9, 0.6}, new double[] {0.6, 0.1, 0.8});
        double t = 1.0 / 3;
        assertThat(roc.fpr()).containsExactly(new double[] {0, 0, t, 2 * t, 2 * t, 1}, within(1e-12));
        assertThat(roc.tpr()).containsExactly(new double[] {0, t, t, 2 * t, 1, 1}, within(1e-12));
        // Mann-Whitney: 0.9 beats 3, 0.6 beats 1 and ties 1, 0.4 beats 1 -> 5.5 / 9
        assertThat(roc.auc()).isCloseTo(5.5 / 9, within(1e-12));
        assertThat(roc.trapezoidArea()).isCloseTo(5.5 / 9, within(1e-12));
        assertThat(roc.legend()).isEqualTo("c: AUC 0.611 (3 vs 3)");
    }

    @Test
    void areaUnderThePointsIsTheAucWithTiesAsHalf() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            double[] pos = new double[1 + random.nextInt(20)];
            double[] neg = new double[1 + random.nextInt(20)];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = random.nextInt(6) / 5.0; // coarse scores: many ties
            }
            for (int i = 0; i < neg.length; i++) {
                neg[i] = random.nextInt(6) / 5.0;
            }
            RocCurve roc = RocCurve.of("c", pos, neg);
            assertThat(roc.trapezoidArea()).isCloseTo(Metrics.auc(pos, neg), within(1e-12));
            assertThat(roc.fpr()[roc.fpr().length - 1]).isEqualTo(1);
            assertThat(roc.tpr()[roc.tpr().length - 1]).isEqualTo(1);
            for (int i = 1; i < roc.fpr().length; i++) {
                assertThat(roc.fpr()[i]).isGreaterThanOrEqualTo(roc.fpr()[i - 1]);
                assertThat(roc.tpr()[i]).isGreaterThanOrEqualTo(roc.tpr()[i - 1]);
            }
        }
    }

    @Test
    void oneVsRestUsesEachClassProbabilityAndSaysWhenAClassIsAbsent() {
        List<Prediction> predictions = List.of(
                new Prediction("a", "a", 0, 0.7, 0.2, 0.1),
                new Prediction("b", "b", 0, 0.4, 0.5, 0.1),
                new Prediction("c", "c", 1, 0.3, 0.6, 0.1),
                new Prediction("d", "d", 1, 0.5, 0.3, 0.2));
        List<RocCurve> curves = RocCurve.oneVsRest(predictions, List.of("x", "y", "z"));
        assertThat(curves.get(0).positives()).isEqualTo(2);
        assertThat(curves.get(0).auc()).isCloseTo(Metrics.auc(new double[] {0.7, 0.4}, new double[] {0.3, 0.5}), within(1e-12));
        assertThat(curves.get(1).auc()).isCloseTo(Metrics.auc(new double[] {0.6, 0.3}, new double[] {0.2, 0.5}), within(1e-12));
        assertThat(curves.get(2).fpr()).isEmpty();
        assertThat(curves.get(2).legend()).isEqualTo("z: no positive images");

        SvgXml xml = new SvgXml(RocCurve.chart("ROC", curves));
        // plot area 260 x 260 at (56, 30); x's curve passes (0, 0.5) and (0.5, 0.5)
        Element x = xml.one("//polyline[@class='series' and starts-with(@data-name, 'x: AUC')]");
        assertThat(x.getAttribute("points")).isEqualTo("56,290 56,160 186,160 186,30 316,30");
        assertThat(curves.get(0).auc()).isEqualTo(0.75);
        assertThat(xml.all("//polyline[@class='series']")).hasSize(2);
        assertThat(xml.all("//g[@class='legend']/text")).extracting(Element::getTextContent)
                .containsExactly("x: AUC 0.750 (2 vs 2)", "y: AUC 0.750 (2 vs 2)", "z: no positive images", "chance");
        Element chance = xml.one("//line[@class='diagonal']");
        assertThat(chance.getAttribute("x1") + "," + chance.getAttribute("y1") + " " + chance.getAttribute("x2") + ","
                + chance.getAttribute("y2")).isEqualTo("56,290 316,30");
    }
}
