package io.pneuknow.serve;

import io.pneuknow.browser.Browser;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a check: screenshots of the page with a model and an image of your choice, for people to look at
 * (before any upload, after the image, after a broken file). Runs only when asked:
 * {@code mvn test -Dtest=PageScreenshots -Dpneuknow.screenshots.model=MODEL_DIR
 * -Dpneuknow.screenshots.image=IMAGE [-Dpneuknow.screenshots.out=/tmp]}; writes page-before.png,
 * page-result.png and page-failed.png there.
 */
@EnabledIfSystemProperty(named = "pneuknow.screenshots.model", matches = ".+")
class PageScreenshots {
    @Test
    void screenshots(@TempDir Path dir) throws Exception {
        Path model = Path.of(System.getProperty("pneuknow.screenshots.model"));
        Path image = Path.of(System.getProperty("pneuknow.screenshots.image"));
        Path out = Path.of(System.getProperty("pneuknow.screenshots.out", "target/browser"));
        Path broken = Files.writeString(dir.resolve("scan-export.png"), "not an image", StandardCharsets.UTF_8);
        Duration wait = Duration.ofSeconds(120);
        try (ModelPool pool = new ModelPool(model, 1, 60_000);
             Server server = Server.start(pool, Server.Settings.defaults().withPort(0),
                     new PrintStream(OutputStream.nullOutputStream()));
             Browser browser = Browser.launch(dir.resolve("chromium"))) {
            browser.open(URI.create("http://127.0.0.1:" + server.port() + "/"));
            browser.waitFor("document.getElementById('model').textContent.startsWith('Model ')", wait);
            browser.screenshot(out.resolve("page-before.png"));
            browser.setFiles("#file", image);
            browser.waitFor("document.getElementById('status').textContent === "
                    + Browser.quote("Analysed " + image.getFileName() + "."), wait);
            browser.screenshot(out.resolve("page-result.png"));
            browser.setFiles("#file", broken);
            browser.waitFor("document.getElementById('status').classList.contains('error')", wait);
            browser.screenshot(out.resolve("page-failed.png"));
        }
    }
}
