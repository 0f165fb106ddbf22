package io.pneuknow.report;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Opens a local HTML file in headless Chromium (Debian's {@code chromium}) and returns the DOM after the
 * page has loaded, so that a test can read what {@link HtmlPage}'s render check wrote. Without a
 * Chromium binary the calling test is skipped, unless {@code pneuknow.requireHeavy=true} (CI), where it
 * fails.
 */
public final class HeadlessChromium {
    private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");

    /** What the render check recorded in the page. */
    public record RenderCheck(boolean done, int images, int imagesRendered, int plots, int plotsRendered, String failed) {
    }

    private HeadlessChromium() {
    }

    /** The Chromium binary on PATH; skips the test (or fails it under pneuknow.requireHeavy=true) when there is none. */
    public static Path binary() {
        String path = System.getenv("PATH");
        for (String name : NAMES) {
            for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir).resolve(name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        String message = "no Chromium binary (" + String.join(", ", NAMES) + ") on PATH; install Debian's chromium "
                + "(apt-get install -y chromium) to run the render check";
        if (Boolean.getBoolean("pneuknow.requireHeavy")) {
            fail("pneuknow.requireHeavy=true but " + message);
        }
        Assumptions.abort(message);
        return null;
    }

    /**
     * Loads {@code html} (a file) in a fresh headless Chromium with its own profile under {@code scratch}
     * and returns the serialised DOM after load; kills the browser and fails after {@code timeout}.
     */
    public static String dumpDom(Path binary, Path html, Path scratch, Duration timeout) throws IOException, InterruptedException {
        return dumpDom(binary, html.toAbsolutePath().toUri(), scratch, timeout);
    }

    /** As {@link #dumpDom(Path, Path, Path, Duration)} for a URL (e.g. a page served on 127.0.0.1). */
    public static String dumpDom(Path binary, java.net.URI url, Path scratch, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(scratch);
        Path profile = Files.createTempDirectory(scratch, "chromium-profile-");
        Path out = Files.createTempFile(scratch, "dom-", ".html");
        Path err = Files.createTempFile(scratch, "chromium-", ".log");
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-component-update",
                "--mute-audio", "--virtual-time-budget=10000", "--dump-dom", url.toString());
        builder.environment().put("HOME", profile.toString()); // nothing written to the real home
        builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            fail("Chromium did not finish within " + timeout.toSeconds() + " s; killed. Its log:\n" + tail(err));
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        if (process.exitValue() != 0) {
            fail("Chromium exited with " + process.exitValue() + ". Its log:\n" + tail(err));
        }
        String dom = Files.readString(out, StandardCharsets.UTF_8);
        if (dom.isBlank()) {
            fail("Chromium printed no DOM. Its log:\n" + tail(err));
        }
        return dom;
    }

    /** The render check's figures from a dumped DOM (done=false when the script never ran). */
    public static RenderCheck renderCheck(String dom) {
        Matcher element = Pattern.compile("<p[^>]*\\bid=\"" + HtmlPage.RENDER_CHECK_ID + "\"[^>]*>").matcher(dom);
        if (!element.find()) {
            throw new AssertionError("no #" + HtmlPage.RENDER_CHECK_ID + " element in the DOM");
        }
        String tag = element.group();
        return new RenderCheck("true".equals(attribute(tag, "data-done")), number(tag, "data-images"),
                number(tag, "data-images-rendered"), number(tag, "data-plots"), number(tag, "data-plots-rendered"),
                attribute(tag, "data-failed"));
    }

    private static int number(String tag, String name) {
        String v = attribute(tag, name);
        return v == null ? -1 : Integer.parseInt(v);
    }

    private static String attribute(String tag, String name) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(tag);
        return m.find() ? m.group(1) : null;
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
