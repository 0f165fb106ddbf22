package io.pneuknow.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SvgTest {
    @Test
    void escapesMarkupQuotesAndControlCharacters() {
        assertThat(Svg.esc("<a href=\"x\">'&'</a>\u0001")).isEqualTo("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; ");
        assertThat(Svg.esc(null)).isEmpty();
    }

    @Test
    void ticksAreRoundAndInsideTheRange() {
        assertThat(Svg.ticks(0, 1, 5)).containsExactly(0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0);
        assertThat(Svg.ticks(1.9, 4.1, 5)).containsExactly(2, 2.5, 3, 3.5, 4);
        assertThat(Svg.ticks(-0.03, 0.07, 5)).hasSize(5).contains(0.0);
        assertThat(Svg.tickLabel(0.6000000000000001, 0.2)).isEqualTo("0.6");
        assertThat(Svg.tickLabel(-0.0, 0.5)).isEqualTo("0.0");
        assertThat(Svg.tickLabel(250, 50)).isEqualTo("250");
        assertThat(Svg.px(-0.001)).isEqualTo("0");
        assertThat(Svg.px(12.5)).isEqualTo("12.5");
    }
}
