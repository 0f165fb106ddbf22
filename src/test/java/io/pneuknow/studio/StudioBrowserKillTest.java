package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Role;
import io.pneuknow.browser.Browser;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged = durable, as the page shows it: {@code pneuknow studio} runs in a child JVM on an H2 file, a real
 * browser draws boxes one after another without waiting for the saves, the child is killed with SIGKILL while saves are in
 * flight, and every region the page listed as saved (it lists a region only after the server's answer) is in the
 * file; the page then says the last change was not saved.
 */
class StudioBrowserKillTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void everyRegionThePageShowedAsSavedSurvivesKillMinus9() throws Exception {
        BufferedImage image = new BufferedImage(200, 100, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 100; y++) {
            for (int x = 0; x < 200; x++) {
                image.getRaster().setSample(x, y, 0, x);
            }
        }
        ImageIO.write(image, "png", dir.resolve("a.png").toFile());
        String key = Credentials.newKey();
        try (AnnotationDatabase database = AnnotationDatabase.open("annotations", dir, true)) {
            AnnotationStore store = new AnnotationStore(database);
            store.putImages(List.of(new ImageEntry("a", "a.png", "pneumonia", "train")));
            store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(key));
        }
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.pneuknow.cli.Main", "studio", "--data", dir.toString(), "--port", "0",
                "--access-log", dir.resolve("access.log").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Long> shownAsSaved = new ArrayList<>();
        try (Browser browser = Browser.launch(dir.resolve("browser"))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            Matcher port = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/").matcher(line == null ? "" : line);
            assertThat(port.find()).as("the studio's first line: " + line).isTrue();
            browser.send("Page.navigate", Map.of("url", "http://127.0.0.1:" + port.group(1) + "/"));
            browser.waitFor("document.getElementById('login') && !document.getElementById('login').hidden", WAIT);
            browser.click("#login-name");
            browser.type("ann");
            browser.click("#login-key");
            browser.type(key);
            browser.click("#login button[type=submit]");
            browser.waitFor("document.body.dataset.viewer === 'a'", WAIT);
            Thread.sleep(700);
            browser.click("#tool-rect");
            Browser.Box viewer = browser.box("#viewer");
            // boxes on a grid (10 columns, 3 rows, apart), drawn back to back; the server is killed once the page lists five
            int drawn = 0;
            while (browser.evaluate("document.querySelectorAll('#region-list li[data-region-id]').length").asInt() < 5) {
                assertThat(drawn).as("boxes drawn before five were listed").isLessThan(30);
                double x = viewer.x() + viewer.width() * (0.08 + 0.09 * (drawn % 10));
                double y = viewer.y() + viewer.height() / 2 + 70 * (drawn / 10 - 1);
                browser.drag(x, y - 15, x + 20, y + 15, 3);
                Thread.sleep(150); // a quick hand: Annotorious hands the shape over some 20 ms after the release
                drawn++;
            }
            child.destroyForcibly();
            double x = viewer.x() + viewer.width() * 0.08 + 0.09 * viewer.width() * (drawn % 10);
            double y = viewer.y() + viewer.height() / 2 + 70 * (drawn / 10 - 1) + 35;
            browser.drag(x, y - 15, x + 20, y + 15, 3);
            try {
                browser.waitFor("document.body.dataset.saved === 'error'", WAIT);
            } catch (AssertionError e) {
                browser.screenshot(Path.of("target/browser/studio-kill-failed.png"));
                throw new AssertionError(e.getMessage() + "; drawn " + drawn + ", status '" + browser.text("#save-status") + "', listed "
                        + browser.evaluate("document.querySelectorAll('#region-list li[data-region-id]').length").asInt(), e);
            }
            assertThat(browser.text("#save-status")).startsWith("Not saved:");
            for (JsonNode id : browser.evaluate("[...document.querySelectorAll('#region-list li[data-region-id]')]"
                    + ".map(li => Number(li.dataset.regionId))")) {
                shownAsSaved.add(id.asLong());
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(shownAsSaved).hasSizeGreaterThanOrEqualTo(5);
        try (AnnotationDatabase database = AnnotationDatabase.open("annotations", dir, false)) {
            AnnotationStore store = new AnnotationStore(database);
            List<Long> lost = shownAsSaved.stream().filter(id -> store.region(id).isEmpty()).toList();
            assertThat(lost).as("regions the page showed as saved but lost after kill -9, of " + shownAsSaved).isEmpty();
        }
    }
}
