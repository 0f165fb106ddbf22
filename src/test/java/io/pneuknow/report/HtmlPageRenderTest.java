package io.pneuknow.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The render check itself, in headless Chromium, on a page with one good and one broken image and one
 * drawn and one empty plot: it must count the good ones and name the broken ones (so a study report
 * that passes it really rendered).
 */
@Tag("heavy")
class HtmlPageRenderTest {
    @Test
    void renderCheckCountsWhatRenderedAndNamesWhatDidNot(@TempDir Path dir) throws Exception {
        Path chromium = HeadlessChromium.binary();
        BufferedImage image = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
        image.setRGB(3, 2, 0xff0000);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        String body = HtmlPage.png(png.toByteArray(), "good image")
                + "<img alt=\"broken image\" src=\"data:image/png;base64,iVBORw0KGgoAAAAAAAA=\">"
                + new LineChart("drawn plot", "x", "y").series("s", new double[] {0, 1}, new double[] {0, 1}).svg()
                + "<svg width=\"100\" height=\"40\" aria-label=\"empty plot\"></svg>";
        Path html = dir.resolve("page.html");
        Files.writeString(html, HtmlPage.document("render check", body));

        HeadlessChromium.RenderCheck check = HeadlessChromium.renderCheck(
                HeadlessChromium.dumpDom(chromium, html, dir.resolve("chromium"), Duration.ofSeconds(45)));

        assertThat(check.done()).as("the script ran before the DOM was dumped").isTrue();
        assertThat(check.images()).isEqualTo(2);
        assertThat(check.imagesRendered()).isEqualTo(1);
        assertThat(check.plots()).isEqualTo(2);
        assertThat(check.plotsRendered()).isEqualTo(1);
        assertThat(check.failed()).isEqualTo("image: broken image | plot: empty plot");
    }
}
