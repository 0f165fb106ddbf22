package io.pneuknow.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.Json;
import io.pneuknow.report.HeadlessChromium;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Debian's headless Chromium driven through the DevTools protocol (CDP) over Java's own WebSocket client:
 * no driver, no new dependency. For tests that must see what a page really draws.
 *
 * <pre>{@code
 * try (Browser browser = Browser.launch(tempDir)) {          // skips the test when there is no chromium
 *     browser.open(URI.create("http://127.0.0.1:" + port + "/"));
 *     browser.setFiles("#file", Path.of("x.png"));          // through the real <input type=file>
 *     browser.waitFor("!document.getElementById('result').hidden", Duration.ofSeconds(60));
 *     Browser.Box box = browser.box("#image");               // CSS pixels, from getBoundingClientRect
 *     int[] rgb = browser.pixel(box.x() + 1, box.y() + 1);  // what was painted there (a 1x1 screenshot)
 *     browser.screenshot(Path.of("target/browser/page.png")); // an artefact, never compared pixel by pixel
 * }
 * }</pre>
 *
 * The browser runs with a new empty profile, the flags {@code --headless --no-sandbox --disable-gpu
 * --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync
 * --font-render-hinting=none}, a fixed viewport ({@value #WIDTH}x{@value #HEIGHT} CSS px, device scale 1)
 * and, after each {@link #open}, the font pinned to DejaVu Sans (Debian's fonts-dejavu-core) so that
 * measurements do not depend on the machine's default fonts. {@link #send} speaks any other CDP command;
 * {@link #events} holds every event received. Without a Chromium binary the calling test is skipped
 * (or fails under {@code -Dpneuknow.requireHeavy=true}, as in CI): see {@link HeadlessChromium#binary()}.
 */
public final class Browser implements AutoCloseable {
    public static final int WIDTH = 1100;
    public static final int HEIGHT = 900;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    /** The style every opened page gets: one installed font everywhere. */
    private static final String PINNED_FONT = "*{font-family:'DejaVu Sans',sans-serif !important}";

    /** An element's rectangle in CSS pixels (relative to the viewport) and whether it is visible. */
    public record Box(double x, double y, double width, double height, boolean visible) {
    }

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();

    private Browser(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** Starts Chromium with an empty profile under {@code scratch} and connects to its first page. */
    public static Browser launch(Path scratch) throws IOException, InterruptedException {
        Path binary = HeadlessChromium.binary();
        Files.createDirectories(scratch);
        Path profile = Files.createTempDirectory(scratch, "chromium-profile-");
        Path log = profile.resolve("chromium.log");
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
                "--font-render-hinting=none", "--hide-scrollbars", "--mute-audio", "--user-data-dir=" + profile,
                "--window-size=" + WIDTH + "," + HEIGHT, "--remote-debugging-port=0", "about:blank");
        builder.environment().put("HOME", profile.toString());
        builder.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process process = builder.start();
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(Files.isRegularFile(portFile) && Files.readAllLines(portFile).size() >= 2)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("Chromium did not open its DevTools port; its log:\n" + Files.readString(log));
                }
                Thread.sleep(50);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
            HttpClient http = HttpClient.newHttpClient();
            String page = null;
            while (page == null) {
                String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (JsonNode target : Json.MAPPER.readTree(list)) {
                    if ("page".equals(target.path("type").asText())) {
                        page = target.get("webSocketDebuggerUrl").asText();
                    }
                }
                if (page == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Chromium shows no page target: " + list);
                    }
                    Thread.sleep(50);
                }
            }
            Listener listener = new Listener();
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(page), listener).get(30, TimeUnit.SECONDS);
            Browser browser = new Browser(process, profile, socket);
            listener.browser = browser;
            browser.send("Page.enable", Map.of());
            browser.send("Runtime.enable", Map.of());
            browser.send("Emulation.setDeviceMetricsOverride", Map.of("width", WIDTH, "height", HEIGHT,
                    "deviceScaleFactor", 1, "mobile", false));
            return browser;
        } catch (IOException | InterruptedException | RuntimeException | ExecutionException | TimeoutException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw new IllegalStateException("cannot connect to Chromium: " + e, e);
        }
    }

    /** Receives CDP messages (possibly in parts), completes the command waiting for each answer and keeps events. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private volatile Browser browser;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                try {
                    JsonNode node = Json.MAPPER.readTree(message);
                    if (node.has("id")) {
                        CompletableFuture<JsonNode> answer = browser.pending.remove(node.get("id").asInt());
                        if (answer != null) {
                            answer.complete(node);
                        }
                    } else {
                        browser.events.add(node);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            webSocket.request(1);
            return null;
        }
    }

    /** Sends a CDP command and returns its result; throws with CDP's error message when it failed. */
    public JsonNode send(String method, Map<String, ?> params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode message = Json.MAPPER.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        message.set("params", Json.MAPPER.valueToTree(params));
        try {
            socket.sendText(Json.MAPPER.writeValueAsString(message), true).get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            JsonNode node = answer.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (node.has("error")) {
                throw new IllegalStateException(method + " failed: " + node.get("error"));
            }
            return node.get("result");
        } catch (IOException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException(method + " got no answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Every CDP event received so far (method and params), oldest first. */
    public List<JsonNode> events() {
        return List.copyOf(events);
    }

    /** Events of one method received so far. */
    public List<JsonNode> events(String method) {
        return events.stream().filter(e -> method.equals(e.path("method").asText())).toList();
    }

    /** Opens a URL, waits for its load event and pins the font. */
    public void open(URI url) throws InterruptedException {
        int loads = events("Page.loadEventFired").size();
        send("Page.navigate", Map.of("url", url.toString()));
        long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
        while (events("Page.loadEventFired").size() == loads) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no load event for " + url);
            }
            Thread.sleep(20);
        }
        evaluate("(() => { const s = document.createElement('style'); s.textContent = " + quote(PINNED_FONT)
                + "; document.head.append(s); return document.fonts.ready.then(() => true); })()");
    }

    /** Evaluates JavaScript in the page (promises awaited) and returns its value as JSON; throws on an exception. */
    public JsonNode evaluate(String expression) {
        JsonNode result = send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true));
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("JavaScript failed: " + result.get("exceptionDetails").toString());
        }
        return result.path("result").path("value");
    }

    /** Polls a JavaScript condition every 50 ms until it is true; fails after {@code timeout}. */
    public void waitFor(String condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!evaluate("Boolean(" + condition + ")").asBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + condition + "; status: "
                        + evaluate("document.getElementById('status') ? document.getElementById('status').textContent : ''"));
            }
            Thread.sleep(50);
        }
    }

    /** The text of the first element matching a CSS selector ("" when it has none; fails when there is no such element). */
    public String text(String selector) {
        return evaluate("(() => { const e = document.querySelector(" + quote(selector) + "); "
                + "if (!e) throw new Error('no element " + selector.replace("'", "") + "'); return e.textContent; })()").asText();
    }

    /** A computed style property of the first element matching a CSS selector. */
    public String style(String selector, String property) {
        return evaluate("getComputedStyle(document.querySelector(" + quote(selector) + ")).getPropertyValue("
                + quote(property) + ")").asText();
    }

    /**
     * The element's bounding box in CSS pixels; visible when it has an area, its computed visibility is
     * visible and no ancestor (or itself) is display:none or of opacity 0. A missing element is invisible.
     */
    public Box box(String selector) {
        JsonNode b = evaluate("(() => { const e = document.querySelector(" + quote(selector) + "); "
                + "if (!e) return {x: 0, y: 0, width: 0, height: 0, visible: false}; "
                + "const r = e.getBoundingClientRect(); let shown = r.width > 0 && r.height > 0 "
                + "&& getComputedStyle(e).visibility === 'visible'; "
                + "for (let a = e; a && shown; a = a.parentElement) { const s = getComputedStyle(a); "
                + "if (s.display === 'none' || parseFloat(s.opacity) === 0) shown = false; } "
                + "return {x: r.x, y: r.y, width: r.width, height: r.height, visible: shown}; })()");
        return new Box(b.get("x").asDouble(), b.get("y").asDouble(), b.get("width").asDouble(), b.get("height").asDouble(),
                b.get("visible").asBoolean());
    }

    /** Whether the first element matching the selector is visible (see {@link #box}). */
    public boolean visible(String selector) {
        return box(selector).visible();
    }

    /** Gives the file input matching the selector these files, as a user choosing them would (its change event fires). */
    public void setFiles(String selector, Path... files) {
        int root = send("DOM.getDocument", Map.of("depth", 0)).get("root").get("nodeId").asInt();
        int node = send("DOM.querySelector", Map.of("nodeId", root, "selector", selector)).get("nodeId").asInt();
        if (node == 0) {
            throw new IllegalStateException("no element " + selector);
        }
        send("DOM.setFileInputFiles", Map.of("nodeId", node,
                "files", Stream.of(files).map(f -> f.toAbsolutePath().toString()).toList()));
    }

    /** Presses and releases a key on the focused element: "Tab", "Enter", " " (space), "Escape". */
    public void press(String key) {
        String code = switch (key) {
            case "Tab" -> "Tab";
            case "Enter" -> "Enter";
            case " " -> "Space";
            case "Escape" -> "Escape";
            default -> throw new IllegalArgumentException("no key code for '" + key + "'");
        };
        int keyCode = switch (key) {
            case "Tab" -> 9;
            case "Enter" -> 13;
            case " " -> 32;
            default -> 27;
        };
        Map<String, Object> down = new java.util.HashMap<>(Map.of("type", "keyDown", "key", key, "code", code,
                "windowsVirtualKeyCode", keyCode, "nativeVirtualKeyCode", keyCode));
        if (key.equals("Enter")) {
            down.put("text", "\r");
        } else if (key.equals(" ")) {
            down.put("text", " ");
        }
        send("Input.dispatchKeyEvent", down);
        send("Input.dispatchKeyEvent", Map.of("type", "keyUp", "key", key, "code", code,
                "windowsVirtualKeyCode", keyCode, "nativeVirtualKeyCode", keyCode));
    }

    /** Moves the mouse to (x, y) (CSS pixels of the viewport) with no button held. */
    public void mouseMove(double x, double y) {
        mouse("mouseMoved", x, y, 0, 0);
    }

    /** Presses the left button at (x, y), moves in {@code steps} steps to (x2, y2) and lets go there. */
    public void drag(double x, double y, double x2, double y2, int steps) {
        mouseMove(x, y);
        mouse("mousePressed", x, y, 1, 1);
        for (int i = 1; i <= steps; i++) {
            mouse("mouseMoved", x + (x2 - x) * i / steps, y + (y2 - y) * i / steps, 1, 0);
        }
        mouse("mouseReleased", x2, y2, 0, 1);
    }

    /** A left click at (x, y); {@code count} 2 is the second click of a double click (send a single one first). */
    public void click(double x, double y, int count) {
        mouseMove(x, y);
        mouse("mousePressed", x, y, 1, count);
        mouse("mouseReleased", x, y, 0, count);
    }

    /** A left click at the centre of the first element matching the selector. */
    public void click(String selector) {
        Box b = box(selector);
        if (!b.visible()) {
            throw new IllegalStateException("cannot click " + selector + ": not visible");
        }
        click(b.x() + b.width() / 2, b.y() + b.height() / 2, 1);
    }

    /** Types text into the focused element, as an input method would (input events, no key codes). */
    public void type(String text) {
        send("Input.insertText", Map.of("text", text));
    }

    private void mouse(String type, double x, double y, int buttons, int clickCount) {
        send("Input.dispatchMouseEvent", Map.of("type", type, "x", x, "y", y, "button", type.equals("mouseMoved") && buttons == 0
                ? "none" : "left", "buttons", buttons, "clickCount", clickCount));
    }

    /** The id of the focused element ("" when none has one). */
    public String focusedId() {
        return evaluate("document.activeElement ? document.activeElement.id : ''").asText();
    }

    /** A screenshot of the whole page (beyond the viewport), written as PNG to {@code file}; returns it decoded. */
    public BufferedImage screenshot(Path file) throws IOException {
        JsonNode size = send("Page.getLayoutMetrics", Map.of()).get("cssContentSize");
        byte[] png = capture(0, 0, Math.max(WIDTH, Math.ceil(size.get("width").asDouble())),
                Math.max(100, Math.ceil(size.get("height").asDouble())));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, png);
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    /** The colour painted at a point of the page (CSS pixels, relative to the viewport), as {r, g, b}. */
    public int[] pixel(double x, double y) throws IOException {
        double scrollX = evaluate("window.scrollX").asDouble();
        double scrollY = evaluate("window.scrollY").asDouble();
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(capture(Math.floor(x + scrollX), Math.floor(y + scrollY), 1, 1)));
        int rgb = image.getRGB(0, 0);
        return new int[] {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
    }

    private byte[] capture(double x, double y, double width, double height) {
        JsonNode shot = send("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true,
                "clip", Map.of("x", x, "y", y, "width", width, "height", height, "scale", 1)));
        return Base64.getDecoder().decode(shot.get("data").asText());
    }

    /** A JavaScript string literal. */
    public static String quote(String s) {
        try {
            return Json.MAPPER.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the browser, kills what is left of it and deletes its profile. */
    @Override
    public void close() {
        try { // the browser may close the connection before it answers, so the answer is not awaited
            socket.sendText("{\"id\":" + ids.incrementAndGet() + ",\"method\":\"Browser.close\",\"params\":{}}", true)
                    .get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // already gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        socket.abort();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        try (Stream<Path> paths = Files.walk(profile)) {
            List<Path> all = new ArrayList<>(paths.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a profile left in a temporary folder is harmless
        }
    }
}
