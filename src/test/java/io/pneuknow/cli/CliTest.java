package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.PretrainedWeights;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end through the command line on tiny synthetic data written to disk. */
class CliTest {
    @TempDir
    static Path dir;
    static Path data;

    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void generate() {
        data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 8, 3, 4, 0.25, 0.5, 5));
    }

    static String[] dataArgs() {
        return new String[] {"--data", data.toString(), "--regions", "regions.csv", "--region-type", "lesion"};
    }

    static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void dataCheckPrintsImagesPatientsAndAnnotatedImagesPerClass() {
        Result r = cli(concat(new String[] {"data", "check"}, dataArgs()));
        assertThat(r.code()).as(r.err()).isZero();
        // 15 images per class; 2 per patient within a part; healthy images never have lesions
        assertThat(r.out()).containsPattern("healthy\\s+15\\s+\\d+\\s+0");
        assertThat(r.out()).containsPattern("total\\s+45\\s+");
    }

    @Test
    void trainHkdThenPredictWritesABundleWithProvenance() throws Exception {
        Path out = dir.resolve("hkd");
        Result r = cli(concat(concat(new String[] {"train"}, dataArgs()), "--split-column", "split", "--method", "hkd",
                "--architecture", "tiny_cnn", "--input-size", "64", "--epochs", "2", "--teacher-epochs", "1", "--kd-epochs", "2",
                "--batch-size", "8", "--learning-rate", "1e-3", "--threads", "2", "--out", out.toString()));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("hkd: test accuracy").contains("teacher (oracle");
        for (String f : List.of("model.json", "model.params", "config.json", "split.csv", "history-teacher.csv",
                "history-student.csv", "teacher/model.json", "teacher/model.params")) {
            assertThat(out.resolve(f)).exists();
        }
        JsonNode card = Json.MAPPER.readTree(out.resolve("model.json").toFile());
        assertThat(card.get("labels").toString()).isEqualTo("[\"cavity\",\"healthy\",\"opacity\"]");
        assertThat(card.get("method").asText()).isEqualTo("hkd");
        assertThat(card.get("teacher").get("input").asText()).isEqualTo("roi");
        assertThat(card.get("teacher").get("weightsSha256").asText())
                .isEqualTo(Json.MAPPER.readTree(out.resolve("teacher/model.json").toFile()).get("weightsSha256").asText());
        assertThat(card.get("dataFingerprint").asText()).hasSize(64);
        assertThat(card.get("intendedUse").asText()).contains("not for diagnosis");
        assertThat(card.get("configuration").get("train").get("optimisation").get("epochs").asInt()).isEqualTo(2);
        assertThat(card.get("checkpoint").get("epochsTrained").asInt()).isEqualTo(2);
        assertThat(Files.readAllLines(out.resolve("history-student.csv"))).hasSize(3);

        Result p = cli("predict", "--model", out.toString(), data.resolve("images/syn_00000.png").toString(),
                data.resolve("images").toString());
        assertThat(p.code()).as(p.err()).isZero();
        List<String> lines = p.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("image,label,p_cavity,p_healthy,p_opacity");
        assertThat(lines).hasSize(1 + 1 + 45);
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            double sum = Double.parseDouble(cells[2]) + Double.parseDouble(cells[3]) + Double.parseDouble(cells[4]);
            assertThat(sum).isBetween(0.998, 1.002);
        }

        Path evaluation = dir.resolve("eval");
        Result e = cli("evaluate", "--model", out.toString(), "--replicates", "200", "--calibrate", "--out",
                evaluation.toString());
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out()).contains("balanced accuracy").contains("report: ");
        JsonNode report = Json.MAPPER.readTree(evaluation.resolve("evaluation.json").toFile());
        assertThat(report.get("part").asText()).isEqualTo("test");
        assertThat(report.get("images").asInt()).isEqualTo(12);
        assertThat(report.get("bootstrap").get("unit").asText()).isEqualTo("patient");
        // a dozen validation images are too few for a temperature: refused, said, and left at 1
        JsonNode calibration = report.get("calibration");
        int validationImages = calibration.get("validationImages").asInt();
        assertThat(validationImages).isPositive().isLessThan(30);
        assertThat(calibration.get("notApplied").asText())
                .isEqualTo("only " + validationImages + " validation images, fewer than the 30 a temperature fit needs");
        assertThat(report.get("temperature").asDouble()).isEqualTo(1.0);
        assertThat(e.out()).contains("temperature scaling NOT applied (probabilities left uncalibrated, temperature 1): only "
                + validationImages + " validation images");
        JsonNode healthy = report.get("operatingPoints").get("healthy");
        assertThat(healthy.get("targetSpecificity").asDouble()).isEqualTo(0.9);
        assertThat(healthy.get("sensitivity").get("estimate").asDouble()).isBetween(0.0, 1.0);
        // the accuracy in the report is the share of rows of predictions.csv whose label is right
        List<String> rows = Files.readAllLines(evaluation.resolve("predictions.csv"));
        long right = rows.stream().skip(1).map(row -> row.split(",")).filter(c -> c[2].equals(c[3])).count();
        double accuracy = report.get("metrics").get("metrics").get("accuracy").asDouble();
        assertThat(accuracy).isEqualTo((double) right / 12);
        // every test image with a lesion is scored against its region, and gets an overlay
        int annotated = (int) Files.readAllLines(data.resolve("regions.csv")).stream()
                .filter(line -> line.contains(",lesion,")).map(line -> line.split(",")[0])
                .filter(id -> rows.stream().anyMatch(row -> row.startsWith(id + ","))).distinct().count();
        JsonNode localisation = report.get("localisation");
        int scored = localisation.get("annotatedImages").asInt();
        assertThat(scored + localisation.get("undefined").size()).isEqualTo(annotated);
        assertThat(annotated).isEqualTo(8);
        assertThat(localisation.get("overlays")).hasSize(scored);
        String html = Files.readString(evaluation.resolve("report.html"));
        assertThat(html).contains("<svg").contains("Confusion matrix");
        assertThat(html.split("data:image/png;base64,", -1)).hasSize(scored + 1);
        assertThat(localisation.get("heatStage").asInt()).isZero();
        assertThat(localisation.get("heatMap").asText()).contains("last feature map");

        // Grad-CAM at an earlier block: tiny_cnn's backbone has 15 children, 9 ends its third stage (8 x 8 at 64 px)
        Path early = dir.resolve("eval-stage9");
        Result e9 = cli("evaluate", "--model", out.toString(), "--replicates", "50", "--max-heat-maps", "1",
                "--heat-stage", "9", "--out", early.toString());
        assertThat(e9.code()).as(e9.err()).isZero();
        JsonNode local9 = Json.MAPPER.readTree(early.resolve("evaluation.json").toFile()).get("localisation");
        assertThat(local9.get("heatStage").asInt()).isEqualTo(9);
        assertThat(local9.get("heatMap").asText()).contains("after backbone child 9 of 15");
        assertThat(local9.get("annotatedImages").asInt() + local9.get("undefined").size()).isEqualTo(annotated);
        Result bad = cli("evaluate", "--model", out.toString(), "--heat-stage", "16", "--out",
                dir.resolve("eval-bad").toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("--heat-stage 16 must be 0 (the last feature map) or 1..15");
        // a model trained with shuffled batches and no class weights already carries the training prior
        Result prior = cli("evaluate", "--model", out.toString(), "--training-prior", "--out",
                dir.resolve("eval-prior").toString());
        assertThat(prior.code()).isEqualTo(1);
        assertThat(prior.err()).contains("did not learn a uniform class prior").contains("drop it");
        assertThat(dir.resolve("eval-prior")).doesNotExist();
    }

    @Test
    void evaluateMovesABalancedModelToTheTrainingPartsClassFrequencies() throws Exception {
        Path out = dir.resolve("balanced");
        Result r = cli(concat(concat(new String[] {"train"}, dataArgs()), "--split-column", "split", "--method", "baseline",
                "--sampling", "class-balanced", "--architecture", "tiny_cnn", "--input-size", "64", "--epochs", "1", "--batch-size", "8",
                "--threads", "2", "--out", out.toString()));
        assertThat(r.code()).as(r.err()).isZero();
        // an imbalanced training part: every second opacity and healthy patient of train moves to val
        List<String> rows = Files.readAllLines(out.resolve("split.csv"));
        List<String> patientsMoved = rows.stream().skip(1).map(row -> row.split(","))
                .filter(c -> c[3].equals("train") && !c[2].equals("cavity")).map(c -> c[1]).distinct()
                .filter(patient -> Math.floorMod(patient.hashCode(), 2) == 0).toList();
        int[] counts = new int[3];
        List<String> labels = List.of("cavity", "healthy", "opacity");
        StringBuilder split = new StringBuilder(rows.get(0)).append('\n');
        for (String row : rows.subList(1, rows.size())) {
            String[] c = row.split(",");
            String part = c[3].equals("train") && patientsMoved.contains(c[1]) ? "val" : c[3];
            if (part.equals("train")) {
                counts[labels.indexOf(c[2])]++;
            }
            split.append(c[0]).append(',').append(c[1]).append(',').append(c[2]).append(',').append(part).append('\n');
        }
        assertThat(counts[0]).isGreaterThan(counts[1]).isGreaterThan(0);
        Path splitFile = dir.resolve("imbalanced-split.csv");
        Files.writeString(splitFile, split);

        Path plain = dir.resolve("eval-balanced");
        Path moved = dir.resolve("eval-balanced-prior");
        Result e = cli("evaluate", "--model", out.toString(), "--split-file", splitFile.toString(), "--replicates", "50",
                "--max-heat-maps", "0", "--out", plain.toString());
        assertThat(e.code()).as(e.err()).isZero();
        Result p = cli("evaluate", "--model", out.toString(), "--split-file", splitFile.toString(), "--replicates", "50",
                "--max-heat-maps", "0", "--training-prior", "--out", moved.toString());
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(p.out()).contains("training part's class frequencies");
        int total = counts[0] + counts[1] + counts[2];
        JsonNode prior = Json.MAPPER.readTree(moved.resolve("evaluation.json").toFile()).get("trainingPrior");
        for (int k = 0; k < 3; k++) {
            assertThat(prior.get(labels.get(k)).asDouble()).isEqualTo((double) counts[k] / total);
        }
        assertThat(Json.MAPPER.readTree(plain.resolve("evaluation.json").toFile()).get("trainingPrior").isNull()).isTrue();
        // each test image's probabilities, by hand: p_k * frequency_k, renormalised
        List<String> before = Files.readAllLines(plain.resolve("predictions.csv"));
        List<String> after = Files.readAllLines(moved.resolve("predictions.csv"));
        assertThat(after).hasSameSizeAs(before).hasSizeGreaterThan(1);
        for (int i = 1; i < before.size(); i++) {
            String[] b = before.get(i).split(",");
            String[] a = after.get(i).split(",");
            assertThat(a[0]).isEqualTo(b[0]);
            double[] expected = new double[3];
            double sum = 0;
            for (int k = 0; k < 3; k++) {
                expected[k] = Double.parseDouble(b[4 + k]) * counts[k] / total;
                sum += expected[k];
            }
            for (int k = 0; k < 3; k++) {
                assertThat(Double.parseDouble(a[4 + k])).isCloseTo(expected[k] / sum, org.assertj.core.api.Assertions.within(1e-9));
            }
        }
    }

    @Test
    void trainFromASafetensorsFileRecordsItAndStartsFromItsWeights() throws Exception {
        // torchvision-named weights of a resnet18_half, as a user would bring them
        Path weights = dir.resolve("resnet18_half.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            ClassifierNet source = Architectures.initialize(Architecture.resnet18_half.build(1000, 1, 0f), manager, 64);
            PretrainedWeights.export(source, weights, "torchvision");
        }
        Path out = dir.resolve("from-safetensors");
        Result r = cli(concat(concat(new String[] {"train"}, dataArgs()), "--split-column", "split", "--architecture",
                "resnet18_half", "--input-size", "64", "--epochs", "1", "--batch-size", "8", "--threads", "2",
                "--pretrained", weights.toString(), "--freeze-backbone-epochs", "1", "--out", out.toString()));
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode card = Json.MAPPER.readTree(out.resolve("model.json").toFile());
        assertThat(card.get("pretrained").get("file").asText()).isEqualTo("resnet18_half.safetensors");
        assertThat(card.get("pretrained").get("sha256").asText())
                .isEqualTo(ModelBundle.sha256(Files.readAllBytes(weights)));
        assertThat(card.get("configuration").get("train").get("optimisation").get("freezeBackboneEpochs").asInt()).isEqualTo(1);
        // frozen for its only epoch: the trained backbone is the file's
        try (ModelBundle.Loaded model = ModelBundle.load(out); NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet fromFile = Architectures.initialize(Architecture.resnet18_half.build(3, 1, 0f), manager, 64);
            PretrainedWeights.loadInto(fromFile, weights);
            var trained = model.net().backbone().getParameters();
            var loaded = fromFile.backbone().getParameters();
            for (int i = 0; i < trained.size(); i++) {
                assertThat(trained.valueAt(i).getArray().contentEquals(loaded.valueAt(i).getArray()))
                        .as(trained.get(i).getKey()).isTrue();
            }
        }
        Result wrongKind = cli(concat(concat(new String[] {"train"}, dataArgs()), "--split-column", "split", "--architecture",
                "tiny_cnn", "--input-size", "64", "--epochs", "1", "--pretrained", weights.toString(), "--out",
                dir.resolve("wrong-kind").toString()));
        assertThat(wrongKind.code()).isEqualTo(1);
        assertThat(wrongKind.err().strip().lines()).hasSize(1);
        assertThat(wrongKind.err()).contains("resnet18_half.safetensors");
    }

    @Test
    void configFileWrittenByARunReproducesItsSettings() throws Exception {
        Path first = dir.resolve("base1");
        Result r = cli(concat(concat(new String[] {"train"}, dataArgs()), "--split-column", "split", "--architecture", "tiny_cnn",
                "--input-size", "64", "--epochs", "1", "--batch-size", "8", "--threads", "2", "--dropout", "0.25",
                "--out", first.toString()));
        assertThat(r.code()).as(r.err()).isZero();
        Path second = dir.resolve("base2");
        Result again = cli("train", "--config", first.resolve("config.json").toString(), "--out", second.toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(Files.readString(second.resolve("config.json"))).isEqualTo(Files.readString(first.resolve("config.json")));
        assertThat(Files.readAllBytes(second.resolve("model.params"))).isEqualTo(Files.readAllBytes(first.resolve("model.params")));
    }

    @Test
    void badInputIsOneLineWithExitCodeOneAndNoStackTrace() {
        Result missing = cli("data", "check", "--data", dir.resolve("nowhere").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: ").contains("nowhere").doesNotContain("\tat ");
        assertThat(missing.err().strip().lines()).hasSize(1);

        Result badValue = cli(concat(concat(new String[] {"train"}, dataArgs()), "--method", "magic", "--out",
                dir.resolve("x").toString()));
        assertThat(badValue.code()).isEqualTo(1);
        assertThat(badValue.err()).contains("train.method.name 'magic': unknown; use baseline, hkd, energy or hkd-energy").doesNotContain("\tat ");

        Result badWhere = cli(concat(new String[] {"data", "check", "--where", "nonsense"}, dataArgs()));
        assertThat(badWhere.code()).isEqualTo(1);
        assertThat(badWhere.err()).contains("'nonsense' is not COLUMN=VALUE");

        Result verbose = cli("--verbose", "data", "check", "--data", dir.resolve("nowhere").toString());
        assertThat(verbose.code()).isEqualTo(1);
        assertThat(verbose.err()).contains("\tat ");
    }

    @Test
    void serveRefusesAnAllowedHostThatIsNoHostName() {
        Result url = cli("serve", "--model", dir.resolve("no-model").toString(), "--allowed-hosts",
                "localhost,http://xray.example.org/");
        assertThat(url.code()).isEqualTo(1);
        assertThat(url.err().strip()).isEqualTo("error: --allowed-hosts: 'http://xray.example.org/' is no host name; "
                + "give names such as xray.example.org,127.0.0.1 or '*'");
    }

    @Test
    void serveRefusesBadBoundsWithOneLineNamingTheOptionAndValue() {
        String model = dir.resolve("no-model").toString();
        String[][] cases = {
                {"--memory-budget-mb", "0", "error: --memory-budget-mb must be at least 1, got 0"},
                {"--max-pixels", "-5", "error: --max-pixels must be at least 1, got -5"},
                {"--min-upload-bytes-per-second", "0", "error: --min-upload-bytes-per-second must be at least 1, got 0"},
                {"--failed-auth-per-minute", "-1", "error: --failed-auth-per-minute must be at least 1, got -1"},
                {"--memory-budget-mb", "9000000000000000", "error: --memory-budget-mb: 9000000000000000 is too large; give MiB, e.g. 2048"}};
        for (String[] c : cases) {
            Result refused = cli("serve", "--model", model, c[0], c[1]);
            assertThat(refused.code()).as(c[0]).isEqualTo(1);
            assertThat(refused.err().strip()).as(c[0]).isEqualTo(c[2]);
        }
        Result notANumber = cli("serve", "--model", model, "--failed-auth-per-minute", "ten");
        assertThat(notANumber.code()).isEqualTo(2);
        assertThat(notANumber.err()).contains("--failed-auth-per-minute").contains("'ten'");
    }

    @Test
    void serveHelpNamesTheBounds() {
        Result help = cli("serve", "--help");
        assertThat(help.code()).isZero();
        String text = help.out().replaceAll("\\s+", " ");
        assertThat(text).contains("--memory-budget-mb").contains("half the JVM's maximum heap, at most a quarter of "
                + "the machine's memory, at least 256")
                .contains("--max-pixels").contains("(budget - the model's part) / 36 bytes")
                .contains("--min-upload-bytes-per-second").contains("408 'slow_upload' (default: 1024)")
                .contains("--failed-auth-per-minute").contains("429 'too_many_failures' (default: 10)");
    }
}
