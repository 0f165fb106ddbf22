package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real HTTP requests against a started server with a tiny model trained on synthetic images. */
class ServerTest {
    @TempDir
    static Path dir;
    static TinyModel tiny;
    static ModelPool pool;
    static Server server;
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final long MAX_UPLOAD = 1 << 20;

    @BeforeAll
    static void start() {
        tiny = TinyModel.train(dir);
        pool = new ModelPool(tiny.model(), 2, 30_000);
        server = Server.start(pool, new Server.Settings("127.0.0.1", 0, MAX_UPLOAD, 1_000_000, 16, 0.5,
                Server.Settings.DEFAULT_TIMEOUT, null, null),
                new PrintStream(LOG, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        server.close();
        pool.close();
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    static HttpResponse<byte[]> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A multipart/form-data POST with one file field. */
    static HttpResponse<byte[]> upload(String path, String field, String fileName, byte[] content) throws Exception {
        String boundary = "----pneuknow" + Long.toHexString(new Random().nextLong());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + fileName
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(content);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> response) throws Exception {
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        return Json.MAPPER.readTree(response.body());
    }

    @Test
    void healthAndModelCard() throws Exception {
        HttpResponse<byte[]> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode h = json(health);
        assertThat(h.get("status").asText()).isEqualTo("ok");
        assertThat(h.get("requestId").asText()).isEqualTo(health.headers().firstValue("X-Request-Id").orElseThrow());

        JsonNode model = json(get("/v1/model"));
        assertThat(model.get("labels").toString()).isEqualTo("[\"cavity\",\"healthy\",\"opacity\"]");
        assertThat(model.get("intendedUse").asText()).contains("not for diagnosis");
        assertThat(model.get("population").asText()).contains("45 images of");
        assertThat(model.get("weightsSha256").asText()).isEqualTo(pool.card().weightsSha256());
        assertThat(model.get("provenance").get("dataFingerprint").asText()).hasSize(64);
        assertThat(model.get("provenance").get("command").asText()).startsWith("pneuknow train");
        assertThat(model.get("validation").get("valAccuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(model.get("inputStatistics").get("images").asInt()).isEqualTo(24);
    }

    @Test
    void predictAnswersWhatThePredictorComputes() throws Exception {
        byte[] png = Files.readAllBytes(tiny.image(4));
        HttpResponse<byte[]> response = upload("/v1/predict", "image", "some name.png", png);
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        JsonNode body = json(response);
        assertThat(body.get("requestId").asText()).isEqualTo(response.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(body.get("model").get("id").asText()).isEqualTo(pool.card().id());
        assertThat(body.get("model").get("weightsSha256").asText()).isEqualTo(pool.card().weightsSha256());
        assertThat(body.get("intendedUse").asText()).contains("not for diagnosis");
        assertThat(body.get("warnings").isArray()).isTrue();
        float[] expected;
        try (ModelBundle.Loaded loaded = ModelBundle.load(tiny.model())) {
            expected = new Predictor(loaded).probabilities(List.of(ImageFiles.read(tiny.image(4))))[0];
        }
        List<String> labels = pool.card().labels();
        double sum = 0;
        for (int c = 0; c < labels.size(); c++) {
            double p = body.get("probabilities").get(labels.get(c)).asDouble();
            assertThat((float) p).isEqualTo(expected[c]);
            sum += p;
        }
        assertThat(sum).isBetween(0.99999, 1.00001);
        assertThat(body.get("label").asText()).isEqualTo(labels.get(Predictor.argmax(expected)));
    }

    @Test
    void explainGivesAPngOverlayOrAJsonHeatMap() throws Exception {
        byte[] png = Files.readAllBytes(tiny.image(5));
        HttpResponse<byte[]> overlay = upload("/v1/explain", "image", "x.png", png);
        assertThat(overlay.statusCode()).isEqualTo(200);
        assertThat(overlay.headers().firstValue("Content-Type").orElse("")).startsWith("image/png");
        var image = ImageIO.read(new ByteArrayInputStream(overlay.body()));
        assertThat(image.getWidth()).isEqualTo(64);
        assertThat(image.getHeight()).isEqualTo(64);

        HttpResponse<byte[]> response = upload("/v1/explain?format=json&class=healthy", "image", "x.png", png);
        JsonNode body = json(response);
        assertThat(body.get("heatClass").asText()).isEqualTo("healthy");
        JsonNode map = body.get("heatMap");
        assertThat(map.size()).isEqualTo(2); // tiny_cnn at 64 px: stride 32
        double max = 0;
        for (JsonNode row : map) {
            assertThat(row.size()).isEqualTo(2);
            for (JsonNode v : row) {
                assertThat(v.asDouble()).isBetween(0.0, 1.0);
                max = Math.max(max, v.asDouble());
            }
        }
        assertThat(max).isIn(0.0, 1.0);
        assertThat(body.get("preview").asText()).startsWith("data:image/png;base64,");
        // tiny_cnn's padded stride-2 convolutions centre cell j on input pixel 32 j (64 px input, 64 px image),
        // not on 32 j + 15.5 where spreading the cells evenly over the image would put it
        JsonNode centres = body.get("heatMapCentres");
        for (String axis : List.of("x", "y")) {
            assertThat(centres.get(axis).size()).isEqualTo(2);
            assertThat(centres.get(axis).get(0).asDouble()).isCloseTo(0, within(1.0));
            assertThat(centres.get(axis).get(1).asDouble()).isCloseTo(32, within(1.0));
        }
        // the heat picture has the preview's size and is hottest (255) at the hottest cell's centre
        var preview = dataUrlImage(body.get("preview").asText());
        var heat = dataUrlImage(body.get("heatPreview").asText());
        assertThat(heat.getWidth()).isEqualTo(preview.getWidth()).isEqualTo(64);
        assertThat(heat.getHeight()).isEqualTo(preview.getHeight()).isEqualTo(64);
        int[] hot = {0, 0};
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                if (map.get(y).get(x).asDouble() > map.get(hot[0]).get(hot[1]).asDouble()) {
                    hot = new int[] {y, x};
                }
            }
        }
        if (max > 0) {
            int px = (int) Math.round(centres.get("x").get(hot[1]).asDouble());
            int py = (int) Math.round(centres.get("y").get(hot[0]).asDouble());
            assertThat(heat.getRaster().getSample(px, py, 0)).isGreaterThanOrEqualTo(250);
        }

        assertThat(upload("/v1/explain?class=nope", "image", "x.png", png).statusCode()).isEqualTo(400);
        assertThat(upload("/v1/explain?format=gif", "image", "x.png", png).statusCode()).isEqualTo(400);
    }

    @Test
    void badUploadsGetTheRightStatusAndTheServerKeepsServing() throws Exception {
        byte[] png = Files.readAllBytes(tiny.image(6));
        byte[] jpeg = jpeg(tiny.image(6));
        byte[] noise = new byte[2000];
        new Random(3).nextBytes(noise);
        record Case(String name, String field, byte[] bytes, int status, String code) {
        }
        List<Case> cases = List.of(
                new Case("empty", "image", new byte[0], 400, "empty_image"),
                new Case("random bytes", "image", noise, 415, "unsupported_media_type"),
                new Case("text named .png", "image", "hello, I am text".getBytes(StandardCharsets.UTF_8), 415, "unsupported_media_type"),
                new Case("truncated PNG", "image", Arrays.copyOf(png, 60), 400, "bad_image"),
                new Case("JPEG cut in its header", "image", Arrays.copyOf(jpeg, 200), 400, "bad_image"),
                new Case("JPEG cut in its scan", "image", Arrays.copyOf(jpeg, jpeg.length / 2), 400, "bad_image"),
                new Case("PNG declaring 100000 x 100000", "image", pngHeader(100_000, 100_000), 413, "too_many_pixels"),
                new Case("over the upload limit", "image", new byte[(int) MAX_UPLOAD + 1000], 413, "too_large"),
                new Case("wrong field", "file", png, 400, "missing_image"));
        for (Case c : cases) {
            HttpResponse<byte[]> response = upload("/v1/predict", c.field(), "upload.png", c.bytes());
            assertThat(response.statusCode()).as(c.name() + ": " + new String(response.body())).isEqualTo(c.status());
            JsonNode body = json(response);
            assertThat(body.get("code").asText()).as(c.name()).isEqualTo(c.code());
            assertThat(body.get("status").asInt()).isEqualTo(c.status());
            assertThat(body.get("message").asText()).as(c.name()).doesNotContain("\n").doesNotContain("Exception").isNotBlank();
            assertThat(body.get("requestId").asText()).hasSize(16);
            assertThat(get("/health").statusCode()).as("alive after " + c.name()).isEqualTo(200);
        }
        HttpResponse<byte[]> notMultipart = HTTP.send(HttpRequest.newBuilder(uri("/v1/predict"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(notMultipart.statusCode()).isEqualTo(415);
        HttpResponse<byte[]> missing = get("/v1/nothing");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("code").asText()).isEqualTo("not_found");
        assertThat(upload("/v1/predict", "image", "again.png", png).statusCode()).isEqualTo(200);
    }

    @Test
    void dicomUploadsCarryGuardWarningsAndNoIdentifiers() throws Exception {
        Path dcm = TestDicom.fromPng(tiny.image(7), dir.resolve("child-lateral.dcm"), "ViewPosition=LL", "PatientAge=005Y");
        byte[] bytes = Files.readAllBytes(dcm);
        HttpResponse<byte[]> response = upload("/v1/predict", "image", "DOE^JANE^Q.dcm", bytes);
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        JsonNode body = json(response);
        assertThat(body.get("image").get("format").asText()).isEqualTo("dicom");
        List<String> codes = new ArrayList<>();
        body.get("warnings").forEach(w -> codes.add(w.get("code").asText()));
        assertThat(codes).contains("lateral_view", "paediatric");
        HttpResponse<byte[]> explained = upload("/v1/explain?format=json", "image", "DOE^JANE^Q.dcm", bytes);
        assertThat(explained.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> truncated = upload("/v1/predict", "image", "DOE^JANE^Q.dcm", Arrays.copyOf(bytes, bytes.length / 2));
        assertThat(truncated.statusCode()).isEqualTo(400);
        byte[] noPixels = Files.readAllBytes(TestDicom.withoutPixelData(TestDicom.fromPng(tiny.image(7),
                dir.resolve("no-pixels.dcm"))));
        HttpResponse<byte[]> empty = upload("/v1/predict", "image", "DOE^JANE^Q.dcm", noPixels);
        assertThat(empty.statusCode()).as(new String(empty.body(), StandardCharsets.UTF_8)).isEqualTo(400);
        assertThat(json(empty).get("code").asText()).isEqualTo("bad_image");
        assertThat(json(empty).get("message").asText()).contains("no pixel data").doesNotContain("\n");
        assertThat(get("/health").statusCode()).isEqualTo(200);
        String everything = new String(response.body(), StandardCharsets.UTF_8) + new String(explained.body(), StandardCharsets.UTF_8)
                + new String(truncated.body(), StandardCharsets.UTF_8) + new String(empty.body(), StandardCharsets.UTF_8)
                + LOG.toString(StandardCharsets.UTF_8);
        for (String identifier : TestDicom.IDENTIFIERS) {
            assertThat(everything).doesNotContain(identifier);
        }
    }

    @Test
    void concurrentRequestsGiveIdenticalAnswers() throws Exception {
        byte[] png = Files.readAllBytes(tiny.image(8));
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<JsonNode>> answers = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String path = i % 4 == 3 ? "/v1/explain?format=json" : "/v1/predict";
                answers.add(clients.submit(() -> {
                    HttpResponse<byte[]> r = upload(path, "image", "c.png", png);
                    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
                    return json(r);
                }));
            }
            JsonNode first = answers.get(0).get();
            List<String> ids = new ArrayList<>();
            for (Future<JsonNode> answer : answers) {
                JsonNode a = answer.get();
                assertThat(a.get("probabilities")).isEqualTo(first.get("probabilities"));
                assertThat(a.get("label")).isEqualTo(first.get("label"));
                ids.add(a.get("requestId").asText());
            }
            assertThat(ids).doesNotHaveDuplicates();
            String log = LOG.toString(StandardCharsets.UTF_8);
            for (String id : ids) {
                assertThat(log).containsPattern("POST /v1/(predict|explain) 200 \\d+ms id=" + id + " sha256=[0-9a-f]{64}");
            }
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void serveCommandRefusesAMissingModelInOneLine() {
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.pneuknow.cli.Main.run(new java.io.PrintWriter(new java.io.StringWriter(), true),
                new java.io.PrintWriter(err, true), "serve", "--model", dir.resolve("nothing").toString(), "--port", "0");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString().trim()).isEqualTo("error: " + dir.resolve("nothing").resolve("model.json")
                + ": no model.json here; pass the directory a training run wrote with --out");
    }

    /** The image as a baseline JPEG (grey). */
    static byte[] jpeg(Path png) throws Exception {
        var image = ImageIO.read(png.toFile());
        var grey = new java.awt.image.BufferedImage(image.getWidth(), image.getHeight(), java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        grey.getGraphics().drawImage(image, 0, 0, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(grey, "jpeg", out)).isTrue();
        return out.toByteArray();
    }

    /** A PNG whose header declares the size (valid signature and IHDR CRC) but holds no pixels. */
    static byte[] pngHeader(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
        png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a}).putInt(13).put(ihdr.array())
                .putInt((int) crc.getValue());
        return png.array();
    }

    private static BufferedImage dataUrlImage(String url) throws IOException {
        assertThat(url).startsWith("data:image/png;base64,");
        byte[] png = Base64.getDecoder().decode(url.substring("data:image/png;base64,".length()));
        return ImageIO.read(new ByteArrayInputStream(png));
    }
}
