package io.pneuknow.studio;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The workspace's page: {@code web/index.html}, {@code web/studio.js} and {@code web/studio.css} (ours) and the web
 * components under {@code web/vendor/} (OpenSeadragon and Annotorious, installed from npm when the jar is built by
 * {@code studio-web/build.sh}). Only the files named here are served; a jar built without npm has no vendor files,
 * and the server then answers its page with {@code web/unbundled.html}, which says how to get them.
 */
final class WebPage {
    /** Every file the page may load, with its content type. */
    static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "unbundled.html", "text/html; charset=utf-8",
            "studio.js", "text/javascript; charset=utf-8",
            "studio.css", "text/css; charset=utf-8",
            "vendor/openseadragon.min.js", "text/javascript; charset=utf-8",
            "vendor/openseadragon-annotorious.min.js", "text/javascript; charset=utf-8",
            "vendor/annotorious.min.css", "text/css; charset=utf-8");

    private WebPage() {
    }

    /** Whether this jar holds the web components the page needs. */
    static boolean bundled() {
        return WebPage.class.getResource("web/vendor/openseadragon.min.js") != null
                && WebPage.class.getResource("web/vendor/openseadragon-annotorious.min.js") != null;
    }

    /** The bytes of one of {@link #FILES}, or null when this jar does not hold it. */
    static byte[] read(String name) {
        if (!FILES.containsKey(name)) {
            return null;
        }
        try (InputStream in = WebPage.class.getResourceAsStream("web/" + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
