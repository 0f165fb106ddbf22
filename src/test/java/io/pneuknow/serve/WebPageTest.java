package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.report.HeadlessChromium;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web page in headless Chromium: opened with {@code ?selftest=IMAGE_URL} its script uploads the image
 * to /v1/predict and /v1/explain, draws the bars and the overlay, then reads them back (bar widths against
 * the probabilities, canvas pixels against the heat map, the overlay's position over the image, the
 * opacity slider) and writes the outcome into #selftest, which the test reads from the dumped DOM. With
 * an API key the page's first call gets 401, and the self-check types the key into the form it shows.
 */
class WebPageTest {
    @TempDir
    Path dir;

    @Test
    void thePageUploadsAnImageAndDrawsBarsAndOverlay() throws Exception {
        String selftest = selftest(Server.Settings.defaults().withPort(0), "");
        assertThat(attribute(selftest, "data-keyform")).as("no key asked for").isNull();
    }

    @Test
    void withAnApiKeyThePageAsksForItAndThenWorks() throws Exception {
        String key = "page-key-0815-page-key-0815";
        String selftest = selftest(Server.Settings.defaults().withPort(0).withApiKey(ApiKey.of(key)),
                "&selftestkey=" + key);
        assertThat(attribute(selftest, "data-keyform")).as("the key form was shown after the 401").isEqualTo("shown");
    }

    /** Opens the page with ?selftest (and {@code extraQuery}) against a server with {@code settings}; returns the #selftest tag after its checks passed. */
    private String selftest(Server.Settings settings, String extraQuery) throws Exception {
        Path chromium = HeadlessChromium.binary(); // skips (or fails under pneuknow.requireHeavy) before training
        TinyModel tiny = TinyModel.train(dir);
        try (ModelPool pool = new ModelPool(tiny.model(), 1, 30_000);
             Server server = Server.start(pool, settings, new PrintStream(OutputStream.nullOutputStream()))) {
            String image = "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(tiny.image(3)));
            URI page = URI.create("http://127.0.0.1:" + server.port() + "/?selftest="
                    + URLEncoder.encode(image, StandardCharsets.UTF_8) + extraQuery);
            String dom = HeadlessChromium.dumpDom(chromium, page, dir.resolve("chromium"), Duration.ofSeconds(90));

            Matcher tag = Pattern.compile("<p[^>]*\\bid=\"selftest\"[^>]*>").matcher(dom);
            assertThat(tag.find()).as("a #selftest element in the DOM").isTrue();
            String selftest = tag.group();
            assertThat(attribute(selftest, "data-done")).as("the self-check finished").isEqualTo("true");
            assertThat(attribute(selftest, "data-failed")).as("the self-check's failure").isEmpty();
            assertThat(attribute(selftest, "data-bars")).isEqualTo("3");
            assertThat(attribute(selftest, "data-overlay")).isEqualTo("drawn");
            assertThat(attribute(selftest, "data-label")).isIn("cavity", "healthy", "opacity");
            assertThat(dom).contains("Research use only, not for diagnosis").contains("Trained on: 45 images of");
            return selftest;
        }
    }

    private static String attribute(String tag, String name) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(tag);
        return m.find() ? m.group(1) : null;
    }
}
