package io.pneuknow.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class LineChartTest {
    @Test
    void polylineMapsDataToPixels() {
        // plot area 380 x 240 at (56, 30): x in [0, 2] -> 56..436, y in [0, 1] -> 270..30
        String svg = new LineChart("loss", "epoch", "loss").yRange(0, 1)
                .series("baseline", new double[] {0, 1, 2}, new double[] {1, 0.5, 0.25}).svg();
        SvgXml xml = new SvgXml(svg);
        Element line = xml.one("//polyline[@class='series']");
        assertThat(line.getAttribute("data-name")).isEqualTo("baseline");
        assertThat(line.getAttribute("points")).isEqualTo("56,30 246,150 436,210");
        List<Element> markers = xml.all("//circle[@class='marker']");
        assertThat(markers).extracting(m -> m.getAttribute("cx")).containsExactly("56", "246", "436");
        assertThat(markers).extracting(m -> m.getAttribute("cy")).containsExactly("30", "150", "210");
        assertThat(xml.root().getAttribute("aria-label")).isEqualTo("loss");
    }

    @Test
    void intervalsAreVerticalLinesBesideEachOtherAndWidenTheAxis() {
        // y fixed to [0, 1] -> 270..30; x in [0, 2] -> 56..436; two series with intervals sit -1.5 and +1.5 px apart
        String svg = new LineChart("acc", "n", "acc").yRange(0, 1)
                .series("a", new double[] {0, 2}, new double[] {0.5, 0.5}, new double[] {0.25, Double.NaN},
                        new double[] {0.75, Double.NaN})
                .series("b", new double[] {0, 2}, new double[] {0.5, 0.5}, new double[] {0, 0.5}, new double[] {1, 0.5})
                .svg();
        SvgXml xml = new SvgXml(svg);
        List<Element> a = xml.all("//line[@class='interval'][@data-name='a']");
        assertThat(a).hasSize(1);
        assertThat(a.get(0).getAttribute("x1")).isEqualTo("54.5");
        assertThat(a.get(0).getAttribute("y1")).isEqualTo("210");
        assertThat(a.get(0).getAttribute("y2")).isEqualTo("90");
        List<Element> b = xml.all("//line[@class='interval'][@data-name='b']");
        assertThat(b).extracting(e -> e.getAttribute("x1")).containsExactly("57.5", "437.5");
        // without a fixed range the bounds widen the y axis (5% margin): [0.2 - 0.03, 0.8 + 0.03]
        LineChart wide = new LineChart("acc", "n", "acc").series("a", new double[] {0, 1}, new double[] {0.5, 0.6},
                new double[] {0.2, 0.5}, new double[] {0.8, 0.7});
        assertThat(wide.yScale().d0()).isCloseTo(0.17, within(1e-12));
        assertThat(wide.yScale().d1()).isCloseTo(0.83, within(1e-12));
    }

    @Test
    void axesFollowTheDataWithAMarginAndTicksAreRound() {
        LineChart chart = new LineChart("t", "x", "y").series("a", new double[] {1, 3}, new double[] {2, 4});
        assertThat(chart.xScale().d0()).isEqualTo(1);
        assertThat(chart.xScale().d1()).isEqualTo(3);
        assertThat(chart.yScale().d0()).isCloseTo(1.9, within(1e-12));
        assertThat(chart.yScale().d1()).isCloseTo(4.1, within(1e-12));
        SvgXml xml = new SvgXml(chart.svg());
        assertThat(xml.all("//text[@class='tick']")).extracting(Element::getTextContent)
                .contains("1.0", "2.0", "3.0", "2.5", "4.0");
        // whole epochs only
        SvgXml epochs = new SvgXml(new LineChart("t", "epoch", "y").integerX()
                .series("a", new double[] {0, 1, 2}, new double[] {3, 2, 1}).svg());
        List<String> ticks = epochs.all("//text[@class='tick']").stream().map(Element::getTextContent).toList();
        assertThat(ticks.subList(0, 3)).containsExactly("0", "1", "2");
    }

    @Test
    void nanLeavesAGapAndReferenceLinesShareTheirSeriesColour() {
        LineChart chart = new LineChart("fraction", "share", "value").xRange(0, 1).yRange(0, 1)
                .series("hkd", new double[] {0.25, 0.5, 0.75, 1}, new double[] {0.5, Double.NaN, 0.75, 1})
                .series("energy", new double[] {0.5, 1}, new double[] {0.2, 0.4})
                .reference("baseline", 0.5).reference("baseline energy", 0.25);
        SvgXml xml = new SvgXml(chart.svg());
        List<Element> hkd = xml.all("//polyline[@data-name='hkd']");
        assertThat(hkd).hasSize(2);
        assertThat(hkd.get(0).getAttribute("points")).isEqualTo("151,150");
        assertThat(hkd.get(1).getAttribute("points")).isEqualTo("341,90 436,30");
        Element reference = xml.one("//line[@class='reference' and @data-name='baseline']");
        assertThat(SvgXml.num(reference, "y1")).isEqualTo(150);
        assertThat(SvgXml.num(reference, "y2")).isEqualTo(150);
        assertThat(SvgXml.num(reference, "x1")).isEqualTo(56);
        assertThat(SvgXml.num(reference, "x2")).isEqualTo(436);
        assertThat(reference.getAttribute("stroke")).isEqualTo(hkd.get(0).getAttribute("stroke"));
        Element second = xml.one("//line[@class='reference' and @data-name='baseline energy']");
        assertThat(SvgXml.num(second, "y1")).isEqualTo(210);
        assertThat(second.getAttribute("stroke")).isEqualTo(xml.all("//polyline[@data-name='energy']").get(0).getAttribute("stroke"))
                .isNotEqualTo(reference.getAttribute("stroke"));
        assertThat(xml.all("//g[@class='legend']/text")).extracting(Element::getTextContent)
                .containsExactly("hkd", "energy", "baseline", "baseline energy");
    }

    @Test
    void aSeriesPastThePalettesColoursIsDottedInTheChartAndTheLegend() {
        // seven colours: the eighth series repeats the first's colour, so it alone is dotted
        LineChart chart = new LineChart("eight", "x", "y");
        for (int i = 0; i < 8; i++) {
            chart.series("s" + i, new double[] {0, 1}, new double[] {i, i});
        }
        SvgXml xml = new SvgXml(chart.svg());
        Element first = xml.one("//polyline[@data-name='s0']");
        Element eighth = xml.one("//polyline[@data-name='s7']");
        assertThat(eighth.getAttribute("stroke")).isEqualTo(first.getAttribute("stroke"));
        assertThat(first.getAttribute("stroke-dasharray")).isEmpty();
        assertThat(eighth.getAttribute("stroke-dasharray")).isEqualTo("2 3");
        List<Element> swatches = xml.all("//line[@class='swatch']");
        assertThat(swatches).hasSize(8);
        assertThat(swatches).extracting(e -> e.getAttribute("stroke-dasharray")).containsExactly("", "", "", "", "", "", "", "2 3");
    }

    @Test
    void textIsEscaped() {
        String name = "a<b & \"c\" 'd'";
        String svg = new LineChart(name, "x <", "y >").series(name, new double[] {0, 1}, new double[] {0, 1}).svg();
        assertThat(svg).doesNotContain("a<b");
        SvgXml xml = new SvgXml(svg);
        assertThat(xml.one("//text[@class='title']").getTextContent()).isEqualTo(name);
        assertThat(xml.one("//polyline").getAttribute("data-name")).isEqualTo(name);
        assertThat(xml.one("//title").getTextContent()).isEqualTo(name);
        assertThat(xml.all("//text[@class='axis-label']")).extracting(Element::getTextContent).containsExactly("x <", "y >");
    }

    @Test
    void mismatchedSeriesAreRefused() {
        assertThatThrownBy(() -> new LineChart("t", "x", "y").series("s", new double[] {1, 2}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 x values but 1 y values");
    }
}
