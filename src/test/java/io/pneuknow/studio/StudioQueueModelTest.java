package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.TrainingStore;
import io.pneuknow.api.Classifier;
import io.pneuknow.api.FilePrediction;
import io.pneuknow.cli.Main;
import io.pneuknow.jobs.JobRunner;
import io.pneuknow.queue.Candidate;
import io.pneuknow.queue.Strategy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue's teacher-reading orders on the registry's promoted HKD model: a tiny HKD model trained here, registered
 * and promoted; the studio (no {@code --model}) ranks by it. Disagreement's order is {@link Strategy#rank} of the
 * student's and the teacher's ({@code teacher/}) probabilities computed here with {@link Classifier} on each
 * candidate's full image, and so is the combination's; the answer names the model as the promoted one.
 */
class StudioQueueModelTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String KEY = Credentials.newKey();

    @TempDir
    static Path dir;
    static Path data;
    static Path model;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static TrainingStore training;
    static JobRunner runner;
    static StudioServer server;
    static RegisteredModel promoted;
    static String cookie;

    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        model = dir.resolve("model");
        cli("data", "synthetic", "--out", data.toString(), "--train", "4", "--val", "2", "--test", "2", "--image-size", "64");
        // no regions in the database: every training and validation image is a candidate
        cli("annotations", "import", "--data", data.toString(), "--split-column", "split");
        cli("train", "--data", data.toString(), "--regions", "regions.csv", "--region-type", "lesion", "--split-column", "split",
                "--architecture", "tiny_cnn", "--input-size", "32", "--epochs", "1", "--teacher-epochs", "1",
                "--student-epochs", "1", "--method", "hkd", "--threads", "1", "--out", model.toString());
        database = AnnotationDatabase.open("annotations", data, false);
        store = new AnnotationStore(database);
        store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(KEY));
        training = new TrainingStore(store);
        JsonNode card = Json.MAPPER.readTree(model.resolve("model.json").toFile());
        promoted = training.register(new RegisteredModel.Draft(null, model.toString(), card.path("id").asText(),
                card.path("weightsSha256").asText(), "hkd", "tiny_cnn", "{}", card.toString(), "fp", "s".repeat(64)));
        training.promote(promoted.id());
        runner = JobRunner.start(store, training, new JobRunner.Settings(data, dir.resolve("jobs"), "split", "lesion", 1,
                JobRunner.thisJvm()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, data, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), null, runner);
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/login"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"name\": \"ann\", \"key\": \"" + KEY + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        cookie = setCookie.substring(0, setCookie.indexOf(';'));
    }

    @AfterAll
    static void stop() {
        runner.close();
        server.close();
        database.close();
    }

    /** The probabilities of the model in {@code folder} on each image's full image, by image id. */
    static Map<String, double[]> probabilities(Path folder, List<ImageEntry> images) throws Exception {
        Map<String, double[]> out = new HashMap<>();
        try (Classifier classifier = Classifier.open(folder)) {
            List<FilePrediction> all = new ArrayList<>();
            classifier.predictFiles(images.stream().map(i -> data.resolve(i.file())).toList(), 16, 1, all::addAll);
            for (int i = 0; i < images.size(); i++) {
                float[] p = all.get(i).prediction().probabilities();
                double[] copy = new double[p.length];
                for (int c = 0; c < p.length; c++) {
                    copy[c] = p[c];
                }
                out.put(images.get(i).id(), copy);
            }
        }
        return out;
    }

    static JsonNode queue(String strategy) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/api/queue?limit=500&strategy=" + strategy)).header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return Json.MAPPER.readTree(answer.body()).path("value");
    }

    @Test
    void disagreementAndTheCombinationRankByThePromotedModelsStudentAndTeacher() throws Exception {
        assertThat(model.resolve("teacher/model.json")).as("an HKD model's folder holds its teacher").isRegularFile();
        List<ImageEntry> candidates = store.images().stream().filter(i -> !i.part().equals("test")).toList();
        assertThat(candidates).as("4 training and 2 validation images per class").hasSize(18);
        Map<String, double[]> student = probabilities(model, candidates);
        Map<String, double[]> teacher = probabilities(model.resolve("teacher"), candidates);
        List<String> classes = store.facets().classes();
        List<Candidate> ranked = candidates.stream().map(i -> new Candidate(i.id(), null, classes.indexOf(i.className()),
                student.get(i.id()), teacher.get(i.id()))).toList();

        JsonNode disagreement = queue("disagreement");
        assertThat(disagreement.at("/model/source").asText()).isEqualTo("promoted, registry model " + promoted.id());
        assertThat(disagreement.at("/model/teacher").asBoolean()).isTrue();
        List<String> expected = Strategy.DISAGREEMENT.rank(ranked, new int[classes.size()], 1);
        assertThat(ids(disagreement)).isEqualTo(expected);
        double first = Strategy.totalVariation(student.get(expected.get(0)), teacher.get(expected.get(0)));
        assertThat(disagreement.at("/images/0/score").asDouble()).isCloseTo(first, within(1e-6));
        assertThat(disagreement.at("/images/0/reason").asText()).isEqualTo(String.format(Locale.ROOT, "disagreement %.3f", first));

        assertThat(ids(queue("combination"))).isEqualTo(Strategy.COMBINATION.rank(ranked, new int[classes.size()], 1));
        assertThat(ids(queue("uncertainty"))).isEqualTo(Strategy.UNCERTAINTY.rank(ranked, new int[classes.size()], 1));
        assertThat(queue("random").path("strategies")).extracting(s -> s.path("available").asBoolean())
                .as("an HKD model: every strategy").containsOnly(true);
    }

    static List<String> ids(JsonNode queue) {
        List<String> ids = new ArrayList<>();
        queue.path("images").forEach(i -> ids.add(i.path("id").asText()));
        return ids;
    }

    private static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
    }
}
