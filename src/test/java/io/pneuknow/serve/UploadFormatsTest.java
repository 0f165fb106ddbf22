package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.image.ImageFormats;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The web page's file picker offers the registry's extensions, so a format added there is not hidden on the page. */
class UploadFormatsTest {
    @Test
    void theFilePickerAcceptsEveryRegisteredExtension() throws Exception {
        String html;
        try (InputStream in = Server.class.getResourceAsStream("/io/pneuknow/serve/web/index.html")) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher accept = Pattern.compile("<input id=\"file\"[^>]*accept=\"([^\"]*)\"").matcher(html);
        assertThat(accept.find()).isTrue();
        assertThat(Arrays.asList(accept.group(1).split(","))).containsAll(ImageFormats.extensions());
    }
}
