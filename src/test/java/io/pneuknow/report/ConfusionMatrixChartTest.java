package io.pneuknow.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class ConfusionMatrixChartTest {
    private static final int[][] COUNTS = {{5, 1, 0}, {2, 7, 1}, {0, 0, 0}};

    @Test
    void eachCellShowsItsCountShadedByItsShareOfTheTrueClass() {
        SvgXml xml = new SvgXml(ConfusionMatrixChart.svg("Confusion", List.of("cavity", "healthy", "opacity"), COUNTS));
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                Element count = xml.one("//text[@class='count' and @data-row='" + r + "' and @data-col='" + c + "']");
                assertThat(count.getTextContent()).as("row %d col %d", r, c).isEqualTo(Integer.toString(COUNTS[r][c]));
            }
        }
        assertThat(xml.all("//text[@class='total']")).extracting(Element::getTextContent).containsExactly("6", "10", "0");
        Element diagonal = xml.one("//rect[@class='cell' and @data-row='1' and @data-col='1']");
        assertThat(diagonal.getAttribute("data-share")).isEqualTo("0.7000");
        assertThat(diagonal.getAttribute("fill")).isEqualTo(ConfusionMatrixChart.shade(0.7));
        Element empty = xml.one("//rect[@class='cell' and @data-row='2' and @data-col='2']");
        assertThat(empty.getAttribute("fill")).isEqualTo("#ffffff");
        // the count's text sits in the middle of its own cell
        Element cell = xml.one("//rect[@class='cell' and @data-row='0' and @data-col='2']");
        Element text = xml.one("//text[@class='count' and @data-row='0' and @data-col='2']");
        assertThat(SvgXml.num(text, "x")).isEqualTo(SvgXml.num(cell, "x") + SvgXml.num(cell, "width") / 2);
        assertThat(SvgXml.num(text, "y")).isBetween(SvgXml.num(cell, "y"), SvgXml.num(cell, "y") + SvgXml.num(cell, "height"));
        // rows are true classes, columns predicted: row labels in order, axis names given
        assertThat(xml.all("//text[@class='row-label']")).extracting(Element::getTextContent)
                .containsExactly("cavity", "healthy", "opacity");
        assertThat(xml.all("//text[@class='axis-label']")).extracting(Element::getTextContent)
                .containsExactly("predicted class", "true class");
    }

    @Test
    void shadeGoesFromWhiteToDarkBlue() {
        assertThat(ConfusionMatrixChart.shade(0)).isEqualTo("#ffffff");
        assertThat(ConfusionMatrixChart.shade(1)).isEqualTo("#1f4e8c");
        assertThat(ConfusionMatrixChart.shade(2)).isEqualTo("#1f4e8c");
    }

    @Test
    void labelsAreEscapedAndShapesChecked() {
        SvgXml xml = new SvgXml(ConfusionMatrixChart.svg("a & b", List.of("<x>", "\"y\""), new int[][] {{1, 0}, {0, 1}}));
        assertThat(xml.all("//text[@class='row-label']")).extracting(Element::getTextContent).containsExactly("<x>", "\"y\"");
        assertThatThrownBy(() -> ConfusionMatrixChart.svg("t", List.of("a", "b"), new int[][] {{1, 0}}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfusionMatrixChart.svg("t", List.of("a", "b"), new int[][] {{1, 0}, {1}}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
