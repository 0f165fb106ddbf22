package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.JobState;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.TrainingStore;
import io.pneuknow.jobs.JobRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jobs and registry routes over real HTTP: only admins start and cancel jobs and promote, with the CSRF token;
 * everyone signed in lists and compares; bad settings are named. The "child JVM" here is {@code sh -c 'sleep 60'},
 * which stands for a training that runs until cancelled (the real child is JobRunnerTest's).
 */
class StudioJobsApiTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String ANN_KEY = Credentials.newKey();
    static final String ADMIN_KEY = Credentials.newKey();

    @TempDir
    static Path dir;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static TrainingStore training;
    static JobRunner runner;
    static StudioServer server;

    record Session(String cookie, String csrf) {
    }

    @BeforeAll
    static void start() {
        database = AnnotationDatabase.open("annotations", dir, true);
        store = new AnnotationStore(database);
        store.putImages(List.of(new ImageEntry("a", "a.png", "normal", "train")));
        store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(ANN_KEY));
        store.addPerson("boss", Role.ADMIN, Credentials.hash(ADMIN_KEY));
        training = new TrainingStore(store);
        runner = JobRunner.start(store, training, new JobRunner.Settings(dir, dir.resolve("jobs"), null, "lesion", 1,
                List.of("sh", "-c", "sleep 60", "child")), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, dir, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), null, runner);
    }

    @AfterAll
    static void stop() {
        runner.close();
        server.close();
        database.close();
    }

    static HttpResponse<byte[]> send(Session session, String method, String path, String body, boolean csrf) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Cookie", session.cookie()).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (csrf) {
            request.header("X-CSRF-Token", session.csrf());
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    static Session signIn(String name, String key) throws Exception {
        HttpResponse<byte[]> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/login"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"name\": \"" + name + "\", \"key\": \"" + key + "\"}")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(answer.statusCode()).isEqualTo(200);
        String setCookie = answer.headers().firstValue("Set-Cookie").orElseThrow();
        return new Session(setCookie.substring(0, setCookie.indexOf(';')), json(answer).at("/value/csrfToken").asText());
    }

    @Test
    void adminsStartAndCancelJobsEveryoneSignedInListsThem() throws Exception {
        Session ann = signIn("ann", ANN_KEY);
        Session boss = signIn("boss", ADMIN_KEY);
        String settings = "{\"method\": \"hkd\", \"architecture\": \"tiny_cnn\", \"inputSize\": 64, \"epochs\": 3}";

        HttpResponse<byte[]> byAnnotator = send(ann, "POST", "/api/jobs", settings, true);
        assertThat(byAnnotator.statusCode()).isEqualTo(403);
        assertThat(json(byAnnotator).path("message").asText()).isEqualTo("ann is annotator; only admins start training jobs");
        assertThat(send(boss, "POST", "/api/jobs", settings, false).statusCode()).as("no CSRF token").isEqualTo(403);
        HttpResponse<byte[]> bad = send(boss, "POST", "/api/jobs", settings.replace("64", "50"), true);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).path("message").asText()).isEqualTo("job setting inputSize 50 must be a multiple of 32 from 32 to 512");
        assertThat(training.jobs()).isEmpty();

        HttpResponse<byte[]> started = send(boss, "POST", "/api/jobs", settings, true);
        assertThat(started.statusCode()).isEqualTo(201);
        JsonNode job = json(started).path("value");
        long id = job.path("id").asLong();
        assertThat(job.path("state").asText()).isEqualTo("queued");
        assertThat(job.path("createdBy").asText()).isEqualTo("boss");
        assertThat(job.path("settings")).isEqualTo(Json.MAPPER.readTree(settings));

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (training.job(id).orElseThrow().state() != JobState.RUNNING) {
            assertThat(System.nanoTime()).as("the job runs").isLessThan(deadline);
            Thread.sleep(50);
        }
        JsonNode listed = json(send(ann, "GET", "/api/jobs", null, false)).path("value").path("jobs");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("state").asText()).isEqualTo("running");
        assertThat(listed.get(0).path("snapshotId").asText()).hasSize(64);

        assertThat(send(ann, "POST", "/api/jobs/" + id + "/cancel", null, true).statusCode()).isEqualTo(403);
        HttpResponse<byte[]> cancelled = send(boss, "POST", "/api/jobs/" + id + "/cancel", null, true);
        assertThat(cancelled.statusCode()).isEqualTo(200);
        assertThat(json(cancelled).at("/value/state").asText()).isEqualTo("cancelled");
        assertThat(json(cancelled).at("/value/message").asText()).isEqualTo("cancelled by boss");
        HttpResponse<byte[]> again = send(boss, "POST", "/api/jobs/" + id + "/cancel", null, true);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json(again).path("code").asText()).isEqualTo("job_ended");
        assertThat(send(boss, "POST", "/api/jobs/999/cancel", null, true).statusCode()).isEqualTo(404);
    }

    @Test
    void everyoneComparesTwoModelsOnlyAdminsPromote() throws Exception {
        RegisteredModel a = training.register(new RegisteredModel.Draft(null, "/m/a", "aaa", "a".repeat(64), "baseline",
                "tiny_cnn", "{\"part\":\"test\",\"images\":10,\"accuracy\":{\"estimate\":0.6,\"lower\":0.3,\"upper\":0.8},"
                        + "\"balanced_accuracy\":{\"estimate\":0.5,\"lower\":0.2,\"upper\":0.7}}",
                "{\"id\":\"aaa\",\"method\":\"baseline\",\"parts\":{\"training\":[\"x\"]}}", "fp", "s".repeat(64)));
        RegisteredModel b = training.register(new RegisteredModel.Draft(null, "/m/b", "bbb", "b".repeat(64), "hkd",
                "tiny_cnn", "{\"part\":\"test\",\"images\":10,\"accuracy\":{\"estimate\":0.7,\"lower\":0.4,\"upper\":0.9},"
                        + "\"balanced_accuracy\":{\"estimate\":0.75,\"lower\":0.5,\"upper\":0.9}}",
                "{\"id\":\"bbb\",\"method\":\"hkd\"}", "fp", "s".repeat(64)));
        Session ann = signIn("ann", ANN_KEY);
        Session boss = signIn("boss", ADMIN_KEY);

        JsonNode models = json(send(ann, "GET", "/api/models", null, false)).at("/value/models");
        assertThat(models).extracting(m -> m.path("modelId").asText()).contains("aaa", "bbb");
        JsonNode compared = json(send(ann, "GET", "/api/models/compare?a=" + a.id() + "&b=" + b.id(), null, false)).path("value");
        assertThat(compared.at("/a/card/method").asText()).isEqualTo("baseline");
        assertThat(compared.at("/a/card").has("parts")).as("the long lists are left out").isFalse();
        assertThat(compared.at("/b/metrics/balanced_accuracy/estimate").asDouble()).isEqualTo(0.75);
        assertThat(compared.at("/difference/accuracy").asDouble()).isCloseTo(0.1, within(1e-12));
        assertThat(compared.at("/difference/balanced_accuracy").asDouble()).isCloseTo(0.25, within(1e-12));
        assertThat(compared.path("difference").has("images")).isFalse();
        assertThat(send(ann, "GET", "/api/models/compare?a=" + a.id() + "&b=12345", null, false).statusCode()).isEqualTo(404);

        HttpResponse<byte[]> byAnnotator = send(ann, "POST", "/api/models/" + b.id() + "/promote", null, true);
        assertThat(byAnnotator.statusCode()).isEqualTo(403);
        assertThat(training.promoted()).isEmpty();
        HttpResponse<byte[]> promoted = send(boss, "POST", "/api/models/" + b.id() + "/promote", null, true);
        assertThat(promoted.statusCode()).isEqualTo(200);
        assertThat(json(promoted).at("/value/promoted").asBoolean()).isTrue();
        assertThat(send(boss, "POST", "/api/models/" + a.id() + "/promote", null, true).statusCode()).isEqualTo(200);
        assertThat(training.promoted()).map(RegisteredModel::id).contains(a.id());
        assertThat(training.model(b.id()).orElseThrow().promoted()).isFalse();
    }
}
