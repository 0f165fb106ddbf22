package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import io.pneuknow.serve.TestDicom;
import io.pneuknow.serve.TinyModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pneuknow predict: PNG and DICOM in folders and lists, unreadable files, --out CSV and JSON, the input guard. */
class PredictCommandTest {
    @TempDir
    static Path dir;
    static TinyModel tiny;

    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void train() {
        tiny = TinyModel.train(dir);
    }

    @Test
    void trainingRecordsInputStatisticsForTheGuard() throws Exception {
        JsonNode stats = Json.MAPPER.readTree(tiny.model().resolve("model.json").toFile()).get("inputStatistics");
        assertThat(stats.get("images").asInt()).isEqualTo(24); // 8 training images per class
        assertThat(stats.get("meanLow").asDouble()).isBetween(0.0, stats.get("meanHigh").asDouble());
        assertThat(stats.get("sdLow").asDouble()).isBetween(0.0, stats.get("sdHigh").asDouble());
    }

    @Test
    void folderWithPngDicomAndACorruptFileWritesCsvAndJsonWithTheSameNumbers() throws Exception {
        Path images = Files.createDirectories(dir.resolve("folder/sub"));
        Files.copy(tiny.image(0), images.resolve("a.png"));
        Files.copy(tiny.image(1), images.getParent().resolve("b.png"));
        TestDicom.fromPng(tiny.image(2), images.resolve("lateral-child.dcm"), "ViewPosition=LL", "PatientAge=005Y");
        TestDicom.fromPng(tiny.image(3), images.resolve("frontal.dcm"), "ViewPosition=PA", "PatientAge=054Y");
        byte[] noise = new byte[3000];
        new Random(1).nextBytes(noise);
        Files.write(images.resolve("corrupt.png"), noise);
        Path out = dir.resolve("out-folder");

        Result r = cli("predict", "--model", tiny.model().toString(), "--out", out.toString(), "--heat-maps",
                "--loader-threads", "2", "--batch-size", "2", dir.resolve("folder").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("4 images predicted, 1 unreadable");
        assertThat(r.err()).contains("skipped: " + images.resolve("corrupt.png")).contains("cannot decode image")
                .contains("predict [").contains("1 unreadable");

        List<CSVRecord> csv = csv(out.resolve("predictions.csv"));
        JsonNode json = Json.MAPPER.readTree(out.resolve("predictions.json").toFile());
        assertThat(csv).hasSize(5);
        assertThat(json.get("images")).hasSize(5);
        assertThat(json.get("intendedUse").asText()).contains("not for diagnosis");
        assertThat(json.get("population").asText()).contains("images of");
        List<String> labels = List.of("cavity", "healthy", "opacity");
        try (ModelBundle.Loaded loaded = ModelBundle.load(tiny.model())) {
            Predictor predictor = new Predictor(loaded);
            for (int i = 0; i < csv.size(); i++) {
                CSVRecord row = csv.get(i);
                JsonNode image = json.get("images").get(i);
                assertThat(image.get("image").asText()).isEqualTo(row.get("image"));
                if (row.get("image").endsWith("corrupt.png")) {
                    assertThat(row.get("error")).contains("cannot decode image");
                    assertThat(image.get("error").asText()).isEqualTo(row.get("error"));
                    assertThat(row.get("label")).isEmpty();
                    continue;
                }
                assertThat(row.get("error")).isEmpty();
                assertThat(image.get("label").asText()).isEqualTo(row.get("label"));
                double sum = 0;
                for (String label : labels) {
                    double p = Double.parseDouble(row.get("p_" + label));
                    assertThat(image.get("probabilities").get(label).asDouble()).isEqualTo(p);
                    sum += p;
                }
                assertThat(sum).isBetween(0.99999, 1.00001);
                if (row.get("image").endsWith(".png")) { // the same numbers as the Predictor on the same file
                    float[] expected = predictor.probabilities(List.of(ImageFiles.read(Path.of(row.get("image")))))[0];
                    for (int c = 0; c < 3; c++) {
                        assertThat(Double.parseDouble(row.get("p_" + labels.get(c)))).isCloseTo(expected[c],
                                org.assertj.core.data.Offset.offset(1e-6));
                    }
                }
                assertThat(out.resolve(row.get("heatmap"))).isRegularFile();
                assertThat(ImageFiles.dimensions(out.resolve(row.get("heatmap")))).isEqualTo(new ImageFiles.Dimensions(64, 64));
            }
        }
        CSVRecord lateral = csv.stream().filter(row -> row.get("image").endsWith("lateral-child.dcm")).findFirst().orElseThrow();
        assertThat(lateral.get("warnings").split(";")).contains("lateral_view", "paediatric");
        CSVRecord frontal = csv.stream().filter(row -> row.get("image").endsWith("frontal.dcm")).findFirst().orElseThrow();
        assertThat(frontal.get("warnings")).doesNotContain("lateral_view").doesNotContain("paediatric");
        JsonNode lateralJson = json.get("images").get(csv.indexOf(lateral)).get("warnings");
        assertThat(lateralJson.toString()).contains("View Position LL").contains("5.0 years");
        assertThat(r.err()).contains("warning: " + images.resolve("lateral-child.dcm") + ": lateral view");

        StringBuilder everything = new StringBuilder(r.out()).append(r.err())
                .append(Files.readString(out.resolve("predictions.csv"))).append(Files.readString(out.resolve("predictions.json")));
        try (Stream<Path> files = Files.walk(out)) {
            files.forEach(f -> everything.append(f.getFileName()).append('\n'));
        }
        for (String identifier : TestDicom.IDENTIFIERS) {
            assertThat(everything.toString()).doesNotContain(identifier);
        }
    }

    @Test
    void listWithPatientIdsGivesPerPatientMeans() throws Exception {
        Path list = dir.resolve("list.csv");
        Files.writeString(list, "path,patient_id\n" + tiny.image(0) + ",P1\n" + tiny.image(1) + ",P1\n"
                + tiny.image(2) + ",P2\nmissing.png,P3\n");
        Path out = dir.resolve("out-list");
        Result r = cli("predict", "--model", tiny.model().toString(), "--list", list.toString(), "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("missing.png: image file not found");
        List<CSVRecord> csv = csv(out.resolve("predictions.csv"));
        assertThat(csv.stream().map(row -> row.get("patient_id")).toList()).containsExactly("P1", "P1", "P2", "P3");
        JsonNode patients = Json.MAPPER.readTree(out.resolve("predictions.json").toFile()).get("patients");
        assertThat(patients).hasSize(2); // P3's only image is unreadable
        JsonNode p1 = patients.get(0);
        assertThat(p1.get("patientId").asText()).isEqualTo("P1");
        assertThat(p1.get("images").asInt()).isEqualTo(2);
        double sum = 0;
        for (String label : List.of("cavity", "healthy", "opacity")) {
            double mean = (Double.parseDouble(csv.get(0).get("p_" + label)) + Double.parseDouble(csv.get(1).get("p_" + label))) / 2;
            assertThat(p1.get("probabilities").get(label).asDouble()).isCloseTo(mean, org.assertj.core.data.Offset.offset(2e-6));
            sum += p1.get("probabilities").get(label).asDouble();
        }
        assertThat(sum).isBetween(0.9999, 1.0001);
    }

    @Test
    void withoutOutTheCsvOnStandardOutputIsUnchangedAndBadOptionsGiveOneLine() {
        Result r = cli("predict", "--model", tiny.model().toString(), tiny.image(0).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).hasSize(2).first().isEqualTo("image,label,p_cavity,p_healthy,p_opacity");

        Result heat = cli("predict", "--model", tiny.model().toString(), "--heat-maps", tiny.image(0).toString());
        assertThat(heat.code()).isEqualTo(1);
        assertThat(heat.err()).startsWith("error: --heat-maps writes into the output folder; add --out DIR");

        Result none = cli("predict", "--model", tiny.model().toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err().trim()).isEqualTo("error: no images given; pass image files or folders, or --list FILE.csv");

        Result column = cli("predict", "--model", tiny.model().toString(), "--list", tiny.data().resolve("labels.csv").toString(),
                "--path-column", "nope");
        assertThat(column.code()).isEqualTo(1);
        assertThat(column.err()).contains("labels.csv: no column 'nope'").contains("name an existing column");
    }

    private static List<CSVRecord> csv(Path file) throws Exception {
        try (var reader = Files.newBufferedReader(file)) {
            return new ArrayList<>(CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(reader).getRecords());
        }
    }
}
