package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service's bounded resources (issue 19, item 1): huge uploads read subsampled to what the model needs, the
 * in-flight slot taken only once the body has arrived, a minimum upload rate, and no stage started for a request
 * that has timed out.
 */
class ServerBoundsTest {
    static TinyModel tiny;
    static ModelPool pool;
    static byte[] png;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void train() throws Exception {
        tiny = TinyModel.shared();
        pool = new ModelPool(tiny.model(), 1, 30_000);
        png = Files.readAllBytes(tiny.image(2));
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    static Server start(Server.Settings settings, Runnable beforeModel) {
        return Server.start(pool, settings, new PrintStream(LOG, true, StandardCharsets.UTF_8), beforeModel);
    }

    /** A grey PNG of {@code side x side}: a smooth gradient with a bright square, so subsampling has something to keep. */
    static byte[] greyPng(int side) throws IOException {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                boolean square = x > side / 3 && x < 2 * side / 3 && y > side / 3 && y < 2 * side / 3;
                pixels[y * side + x] = (byte) (square ? 230 : 40 + 120 * y / side);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    static byte[] multipart(String boundary, byte[] image, int padding) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (padding > 0) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            body.writeBytes("n".repeat(padding).getBytes(StandardCharsets.UTF_8));
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(image);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    static HttpRequest upload(Server server, String path, byte[] image) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "multipart/form-data; boundary=b0undary")
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart("b0undary", image, 0))).build();
    }

    static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return Json.MAPPER.readTree(response.body());
    }

    @Test
    void aHugePngIsReadSubsampledToTwiceTheModelsInput() throws Exception {
        byte[] huge = greyPng(6000);
        assertThat(huge.length).as("a small file for 36 MP").isLessThan(200_000);
        GreyImage read = ImageFiles.decode(huge, "huge", 2 * 64);
        assertThat(read.width()).as("step 46: every 46th pixel from the 23rd").isEqualTo(130);
        assertThat(read.height()).isEqualTo(130);
        GreyImage full = ImageFiles.decode(huge, "huge");
        assertThat(read.get(65, 65)).isEqualTo(full.get(65 * 46 + 23, 65 * 46 + 23)).isEqualTo(230 / 255f);
        assertThat(read.get(10, 100)).isEqualTo(full.get(10 * 46 + 23, 100 * 46 + 23));
    }

    @Test
    void aHugeJpegIsReadSubsampledToo() throws Exception {
        BufferedImage image = new BufferedImage(3000, 2000, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpeg", out);
        GreyImage read = ImageFiles.decode(out.toByteArray(), "jpeg", 128);
        assertThat(read.width()).as("step 15 = 2000 / 128, both ways").isEqualTo(200);
        assertThat(read.height()).isEqualTo(133);
    }

    @Test
    void imagesUnderTwiceTheNeededSideAreDecodedInFull() throws Exception {
        byte[] under = greyPng(255);
        GreyImage read = ImageFiles.decode(under, "under", 128);
        GreyImage full = ImageFiles.decode(under, "under");
        assertThat(read.width()).isEqualTo(255);
        assertThat(read.pixels()).containsExactly(full.pixels());
        assertThat(ImageFiles.decode(greyPng(256), "at", 128).width()).as("step 2 from twice the side").isEqualTo(128);
    }

    @Test
    void aHugeUploadIsAnsweredFromASubsampledReadAndANormalOneAsBefore() throws Exception {
        try (Server server = start(Server.Settings.defaults().withPort(0), () -> { })) {
            JsonNode normal = json(send(upload(server, "/v1/predict", png)), 200);
            float[] expected = pool.probabilities(ImageFiles.decode(png, "upload"));
            assertThat(normal.get("probabilities").get(pool.card().labels().get(0)).asDouble())
                    .as("a normal image's probabilities are those of the full decode").isEqualTo((double) expected[0]);
            assertThat(normal.get("image").has("readAt")).isFalse();

            JsonNode huge = json(send(upload(server, "/v1/explain?format=json", greyPng(6000))), 200);
            assertThat(huge.get("image").get("width").asInt()).as("the file's size").isEqualTo(6000);
            assertThat(huge.get("image").get("readAt").get("width").asInt()).isEqualTo(130);
            JsonNode x = huge.get("heatMapCentres").get("x");
            assertThat(x.get(x.size() - 1).asDouble()).as("centres in the uploaded image's pixels")
                    .isGreaterThan(3000).isLessThan(6000);
        }
    }

    /** Sends an upload on a raw socket at {@code bytesPerSecond} (chunks every 100 ms) and reads the answer's status line and body. */
    static String slowUpload(int port, byte[] body, int bytesPerSecond) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=sl0w\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            int chunk = Math.max(1, bytesPerSecond / 10);
            InputStream in = socket.getInputStream();
            try {
                for (int at = 0; at < body.length && in.available() == 0; at += chunk) {
                    out.write(body, at, Math.min(chunk, body.length - at));
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // the server cut the upload: read its answer
            }
            socket.shutdownOutput();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void anUploadStillArrivingHoldsNoSlot() throws Exception {
        try (Server server = start(Server.Settings.defaults().withPort(0).withMaxInFlight(1), () -> { })) {
            byte[] body = multipart("sl0w", png, 12_000); // about 3.5 s at 4 KB/s, above the minimum rate
            CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return slowUpload(server.port(), body, 4_000);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(500);
            List<Integer> others = new ArrayList<>();
            for (int i = 0; i < 4 && !slow.isDone(); i++) {
                others.add(send(upload(server, "/v1/predict", png)).statusCode());
                Thread.sleep(300);
            }
            assertThat(slow.isDone()).as("the slow upload was still arriving").isFalse();
            assertThat(others).as("no 503 busy while the upload arrives").isNotEmpty().containsOnly(200);
            assertThat(slow.get(60, TimeUnit.SECONDS)).as("the slow upload is served once it has arrived")
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void anUploadSlowerThanTheMinimumRateIsCutWith408AndOthersAreServed() throws Exception {
        try (Server server = start(Server.Settings.defaults().withPort(0).withMaxInFlight(1), () -> { })) {
            byte[] body = multipart("sl0w", png, 3_000); // 30 s at 100 B/s
            long started = System.nanoTime();
            CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return slowUpload(server.port(), body, 100);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(200);
            assertThat(send(upload(server, "/v1/predict", png)).statusCode()).as("served meanwhile").isEqualTo(200);
            String answer = slow.get(60, TimeUnit.SECONDS);
            assertThat((System.nanoTime() - started) / 1e9).as("cut early, not after 30 s").isLessThan(10);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("Content-Type: application/json");
            JsonNode error = Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
            assertThat(error.get("status").asInt()).isEqualTo(408);
            assertThat(error.get("code").asText()).isEqualTo("slow_upload");
            assertThat(error.get("message").asText()).contains("1024 bytes a second").doesNotContain("\n");
            assertThat(error.get("requestId").asText()).isNotBlank();
            assertThat(send(upload(server, "/v1/predict", png)).statusCode()).as("served after").isEqualTo(200);
        }
    }

    @Test
    void theMinimumUploadRateIsASetting() throws Exception {
        try (Server server = start(Server.Settings.defaults().withPort(0).withMinUploadBytesPerSecond(16_000), () -> { })) {
            byte[] body = multipart("sl0w", png, 40_000); // about 10 s at 4 KB/s, under this server's minimum
            long started = System.nanoTime();
            String answer = slowUpload(server.port(), body, 4_000);
            assertThat((System.nanoTime() - started) / 1e9).as("cut early").isLessThan(8);
            assertThat(answer).startsWith("HTTP/1.1 408");
            JsonNode error = Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
            assertThat(error.get("code").asText()).isEqualTo("slow_upload");
            assertThat(error.get("message").asText()).contains("slower than 16000 bytes a second");
        }
    }

    @Test
    void aRequestThatTimedOutStartsNoFurtherStage() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        try (Server server = start(Server.Settings.defaults().withPort(0).withRequestTimeout(Duration.ofSeconds(1)), () -> {
            if (done.getCount() > 0) {
                try {
                    release.await(60, TimeUnit.SECONDS); // interrupted when the request times out
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                done.countDown();
            }
        })) {
            JsonNode timedOut = json(send(upload(server, "/v1/explain?format=json", png)), 503);
            assertThat(timedOut.get("code").asText()).isEqualTo("timeout");
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            String id = timedOut.get("requestId").asText();
            String line = awaitLine(id);
            assertThat(line).contains("its decode was not started");
            assertThat(send(upload(server, "/v1/predict", png)).statusCode()).as("served again").isEqualTo(200);
        }
    }

    @Test
    void aCheckpointOnAnInterruptedThreadStopsAndOtherwisePasses() {
        RequestLimits.checkpoint("forward");
        Thread.currentThread().interrupt();
        try {
            RequestLimits.checkpoint("heat map");
            throw new AssertionError("not stopped");
        } catch (RequestLimits.Stopped e) {
            assertThat(e.stage()).isEqualTo("heat map");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aDecodeOnAnInterruptedThreadIsAborted() throws Exception {
        byte[] big = greyPng(2000);
        Thread.currentThread().interrupt();
        try {
            ImageFiles.decode(big, "big");
            throw new AssertionError("not aborted");
        } catch (java.util.concurrent.CancellationException e) {
            assertThat(e.getMessage()).contains("aborted");
        } finally {
            Thread.interrupted();
        }
    }

    private static String awaitLine(String requestId) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            for (String line : LOG.toString(StandardCharsets.UTF_8).split("\n")) {
                if (line.contains(requestId) && line.contains("not started")) {
                    return line;
                }
            }
            Thread.sleep(100);
        }
        return "";
    }
}
