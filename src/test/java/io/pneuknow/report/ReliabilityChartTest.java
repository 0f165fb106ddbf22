package io.pneuknow.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class ReliabilityChartTest {
    @Test
    void barsAreAsWideAsTheirBinAndAsHighAsTheirAccuracy() {
        // two images at confidence 0.95 (one right, one wrong), one at 0.55 (right)
        List<Prediction> predictions = List.of(
                new Prediction("a", "a", 0, 0.95, 0.05),
                new Prediction("b", "b", 1, 0.95, 0.05),
                new Prediction("c", "c", 0, 0.55, 0.45));
        var bins = Metrics.of(predictions, List.of("x", "y")).reliability();
        SvgXml xml = new SvgXml(ReliabilityChart.svg("Reliability <x>", bins));
        List<Element> bars = xml.all("//rect[@class='bin']");
        assertThat(bars).extracting(b -> b.getAttribute("data-count")).containsExactly("1", "2");
        LinearScale xs = ReliabilityChart.xScale();
        LinearScale ys = ReliabilityChart.yScale();
        Element high = bars.get(1); // bin [14/15, 1): accuracy 1/2
        assertThat(SvgXml.num(high, "x")).isCloseTo(xs.map(14.0 / 15) + 0.5, within(0.01));
        assertThat(SvgXml.num(high, "y")).isCloseTo(ys.map(0.5), within(0.01));
        assertThat(SvgXml.num(high, "height")).isCloseTo(ys.map(0) - ys.map(0.5), within(0.01));
        assertThat(SvgXml.num(high, "width")).isCloseTo(xs.map(1) - xs.map(14.0 / 15) - 1, within(0.01));
        Element low = bars.get(0); // bin [8/15, 9/15): accuracy 1
        assertThat(SvgXml.num(low, "y")).isCloseTo(ys.map(1), within(0.01));
        assertThat(ys.map(0.5)).isEqualTo(150);
        assertThat(xml.all("//text[@class='bin-count']")).extracting(Element::getTextContent).containsExactly("1", "2");
        assertThat(xml.one("//text[@class='title']").getTextContent()).isEqualTo("Reliability <x>");
    }
}
