package io.pneuknow.cli;

import static io.pneuknow.cli.CliTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start, end to end through the command line on demo-sized synthetic data: data synthetic,
 * data check, train (one epoch on a --where subset), evaluate, predict, and serve answering one request in a process
 * of its own. About a minute on 2 cores.
 */
@Tag("quickstart")
class ReadmeQuickStartTest {
    @Test
    void readmeQuickStartRunsEndToEnd(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("synthetic");
        CliTest.Result synthetic = cli("data", "synthetic", "--out", data.toString(), "--train", "8", "--val", "3", "--test", "6",
                "--seed", "2");
        assertThat(synthetic.code()).as(synthetic.err()).isZero();
        assertThat(synthetic.out()).contains("wrote 51 images");
        // the subset: images whose grey marker agrees with the class (all of train and val, some of test)
        List<String[]> rows = Files.readAllLines(data.resolve("labels.csv")).stream().skip(1).map(l -> l.split(","))
                .filter(c -> c[6].equals("1")).toList();
        long test = rows.stream().filter(c -> c[4].equals("test")).count();
        assertThat(rows).hasSize(33 + (int) test);
        assertThat(test).isBetween(1L, 17L);
        String[] where = {"--data", data.toString(), "--where", "cue_agrees=1", "--regions", "regions.csv",
                "--region-type", "lesion"};

        CliTest.Result check = cli(args(List.of("data", "check"), where));
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(check.out()).containsPattern("total\\s+" + rows.size() + "\\s");

        Path model = dir.resolve("runs/base");
        CliTest.Result train = cli(args(List.of("train"), where, "--split-column", "split", "--architecture", "tiny_cnn",
                "--input-size", "64", "--epochs", "1", "--batch-size", "8", "--threads", "2", "--out", model.toString()));
        assertThat(train.code()).as(train.err()).isZero();
        assertThat(train.out()).contains("train 24, val 9, test " + test + " images; method baseline, tiny_cnn at 64 px");
        assertThat(train.err()).doesNotContain("warning: --");
        for (String file : List.of("model.json", "model.params", "config.json", "split.csv")) {
            assertThat(model.resolve(file)).isNotEmptyFile();
        }
        assertThat(Files.readAllLines(model.resolve("history-baseline.csv"))).hasSize(2);

        Path evaluation = dir.resolve("evaluation");
        CliTest.Result evaluate = cli("evaluate", "--model", model.toString(), "--replicates", "50", "--max-heat-maps", "2",
                "--threads", "2", "--out", evaluation.toString());
        assertThat(evaluate.code()).as(evaluate.err()).isZero();
        JsonNode report = Json.MAPPER.readTree(evaluation.resolve("evaluation.json").toFile());
        assertThat(report.get("part").asText()).isEqualTo("test");
        assertThat(report.get("images").asLong()).isEqualTo(test);
        assertThat(Files.readAllLines(evaluation.resolve("predictions.csv"))).hasSize(1 + (int) test);
        assertThat(evaluation.resolve("report.html")).isNotEmptyFile();
        // the console summary in words, each interval written "a to b" (a hyphen misreads negative bounds)
        assertThat(evaluate.out()).containsPattern("(?m)^balanced accuracy +\\d\\.\\d{3}  \\(95% CI -?\\d\\.\\d{3} to -?\\d\\.\\d{3}\\)$")
                .contains("Cohen's kappa").doesNotContain("balanced_accuracy");

        Path predictions = dir.resolve("preds");
        CliTest.Result predict = cli("predict", "--model", model.toString(), "--out", predictions.toString(), "--threads", "2",
                data.resolve("images").toString());
        assertThat(predict.code()).as(predict.err()).isZero();
        List<String> lines = Files.readAllLines(predictions.resolve("predictions.csv"));
        assertThat(lines).hasSize(1 + 51);
        List<String> header = List.of(lines.get(0).split(","));
        assertThat(header).contains("p_cavity", "p_healthy", "p_opacity");
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            double sum = 0;
            for (String column : List.of("p_cavity", "p_healthy", "p_opacity")) {
                sum += Double.parseDouble(cells[header.indexOf(column)]);
            }
            assertThat(sum).as(line).isBetween(0.999, 1.001);
        }

        serveAnswersOnePrediction(model, data.resolve("images/syn_00000.png"), dir);
    }

    /** {@code serve --port 0} in a process of its own: the port from its first line, one upload, then stopped. */
    private static void serveAnswersOnePrediction(Path model, Path image, Path dir) throws Exception {
        Path log = dir.resolve("serve.log");
        Process serve = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--model", model.toString(), "--port", "0", "--workers", "1", "--threads", "1")
                .redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
            String first = out.readLine();
            assertThat(first).as(Files.readString(log)).isNotNull().startsWith("serving model ");
            Matcher port = Pattern.compile("at http://127\\.0\\.0\\.1:(\\d+)/").matcher(first);
            assertThat(port.find()).as(first).isTrue();
            URI predict = URI.create("http://127.0.0.1:" + port.group(1) + "/v1/predict");
            String boundary = "----quickstart";
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                    + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.write(Files.readAllBytes(image));
            body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(predict)
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode json = Json.MAPPER.readTree(answer.body());
            assertThat(json.get("requestId").asText()).isNotBlank();
            assertThat(json.get("model").get("weightsSha256").asText())
                    .isEqualTo(Json.MAPPER.readTree(model.resolve("model.json").toFile()).get("weightsSha256").asText());
            assertThat(json.get("label").asText()).isIn("cavity", "healthy", "opacity");
            JsonNode p = json.get("probabilities");
            assertThat(p.get("cavity").asDouble() + p.get("healthy").asDouble() + p.get("opacity").asDouble())
                    .isBetween(0.999, 1.001);
            assertThat(json.get("intendedUse").asText()).contains("not for diagnosis");
        } finally {
            serve.destroy();
            assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as("serve stops on SIGTERM").isTrue();
        }
    }

    private static String[] args(List<String> first, String[] middle, String... last) {
        return Stream.of(first.stream(), Stream.of(middle), Stream.of(last)).flatMap(s -> s).toArray(String[]::new);
    }
}
