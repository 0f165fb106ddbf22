package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Role;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged = durable, over HTTP: {@code pneuknow studio} runs in a child JVM on an H2 file, two clients save
 * regions as fast as it answers, the child is killed with SIGKILL (destroyForcibly) while saves are in flight, and
 * every region answered 201 is then in the file.
 */
class StudioKillTest {
    static final int ACKNOWLEDGED = 150;

    @TempDir
    Path dir;

    @Test
    void everyRegionAnswered201SurvivesKillMinus9OfTheServer() throws Exception {
        String key = Credentials.newKey();
        try (AnnotationDatabase database = AnnotationDatabase.open("annotations", dir, true)) {
            AnnotationStore store = new AnnotationStore(database);
            store.putImages(List.of(new ImageEntry("a", "a.png", "pneumonia", null)));
            store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(key));
        }
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.pneuknow.cli.Main", "studio", "--data", dir.toString(), "--port", "0",
                "--access-log", dir.resolve("access.log").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            Matcher port = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/").matcher(line == null ? "" : line);
            assertThat(port.find()).as("the studio's first line: " + line).isTrue();
            String base = "http://127.0.0.1:" + port.group(1);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/api/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"ann\", \"key\": \"" + key + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            String csrf = Json.MAPPER.readTree(login.body()).at("/value/csrfToken").asText();
            AtomicInteger count = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                Thread writer = new Thread(() -> {
                    while (child.isAlive()) {
                        try {
                            HttpResponse<String> saved = http.send(HttpRequest.newBuilder(URI.create(base + "/api/images/a/regions"))
                                    .header("Cookie", cookie).header("X-CSRF-Token", csrf).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"lesion\", \"label\": \"n"
                                            + count.get() + "\", \"box\": {\"x\": 1, \"y\": 1, \"width\": 2, \"height\": 2}}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (saved.statusCode() == 201) {
                                acknowledged.add(Json.MAPPER.readTree(saved.body()).at("/value/id").asLong());
                                count.incrementAndGet();
                            }
                        } catch (IOException e) {
                            return; // the server is gone: this save was never acknowledged
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                });
                writer.start();
                writers.add(writer);
            }
            while (count.get() < ACKNOWLEDGED) {
                Thread.sleep(5);
            }
            child.destroyForcibly(); // the writers keep sending: saves are in flight
            for (Thread writer : writers) {
                writer.join(30_000);
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        try (AnnotationDatabase database = AnnotationDatabase.open("annotations", dir, false)) {
            AnnotationStore store = new AnnotationStore(database);
            List<Long> missing = acknowledged.stream().filter(id -> store.region(id).isEmpty()).sorted().toList();
            assertThat(missing).as("regions answered 201 but lost after kill -9, of " + acknowledged.size()).isEmpty();
            assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(ACKNOWLEDGED);
        }
    }
}
