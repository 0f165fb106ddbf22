package io.pneuknow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/examples/library/TrainAndPredict.java compiles against the library and runs on a tiny
 * synthetic data set (32 px, 4 training images per class, 1 epoch): both models are written, each
 * prediction's probabilities sum to 1 and name the predicted class, and each heat map has its image's size.
 */
class LibraryExampleTest {
    private static final Path EXAMPLE = Path.of("docs/examples/library/TrainAndPredict.java");
    /** "predict ID: CLASS (c1 p1, c2 p2, c3 p3; true CLASS); heat map WxH on a WxH image; warnings: ..." */
    private static final Pattern PREDICTION = Pattern.compile(
            "predict (\\S+): (\\w+) \\((\\w+) ([0-9.]+), (\\w+) ([0-9.]+), (\\w+) ([0-9.]+); true \\w+\\); "
                    + "heat map (\\d+)x(\\d+) on a (\\d+)x(\\d+) image; warnings: \\S+");

    /** "model M: test accuracy A on N images, ..." (TrainRun's own count) */
    private static final Pattern MODEL = Pattern.compile("model (\\w+): test accuracy ([0-9.]+) on (\\d+) images");
    /** "evaluate M: N test images, accuracy A (95% CI L to U), heat inside the regions E on K annotated images; ..." */
    private static final Pattern EVALUATION = Pattern.compile("evaluate (\\w+): (\\d+) test images, accuracy ([0-9.]+) "
            + "\\(95% CI ([0-9.]+) to ([0-9.]+)\\), heat inside the regions (\\S+) on (\\d+) annotated images; "
            + "weights ([0-9a-f]{12}), data (\\S+)");

    @Test
    void theExampleCompilesAndTrainsAndPredictsWithHeatMaps(@TempDir Path dir) throws Exception {
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter messages = new StringWriter();
        boolean compiled = javac.getTask(messages, null, null, List.of("--release", "17", "-Xlint:all", "-Werror",
                        "-classpath", System.getProperty("java.class.path"), "-d", classes.toString()), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(EXAMPLE.toFile()))
                .call();
        assertThat(compiled).as(messages.toString()).isTrue();

        Path out = dir.resolve("out");
        String printed = runMain(classes, out.toString(), "32", "4", "1");

        for (String method : List.of("baseline", "hkd")) {
            assertThat(out.resolve(method).resolve("model.json")).isRegularFile();
            assertThat(out.resolve(method).resolve("model.params")).isRegularFile();
            assertThat(printed).contains("model " + method + ": test accuracy ");
            JsonNode card = Json.MAPPER.readTree(out.resolve(method).resolve("model.json").toFile());
            assertThat(card.get("method").asText()).isEqualTo(method);
            assertThat(card.get("command").asText()).isEqualTo("docs/examples/library/TrainAndPredict.java");
            // 3 classes x (4 training + 2 validation + 2 test) images, from labels.csv
            assertThat(card.get("population").asText()).startsWith("24 images of ").contains("from labels.csv");
        }
        assertThat(out.resolve("hkd/teacher/model.json")).isRegularFile();

        // the typed evaluation agrees with the training run's own test accuracy (two separate computations)
        Matcher trained = MODEL.matcher(printed);
        Matcher evaluated = EVALUATION.matcher(printed);
        for (String method : List.of("baseline", "hkd")) {
            assertThat(trained.find()).as(printed).isTrue();
            assertThat(evaluated.find()).as(printed).isTrue();
            assertThat(trained.group(1)).isEqualTo(method);
            assertThat(evaluated.group(1)).isEqualTo(method);
            assertThat(evaluated.group(2)).isEqualTo(trained.group(3)).isEqualTo("6");
            assertThat(evaluated.group(3)).isEqualTo(trained.group(2));
            // the weights hash is the one model.json names; the annotated test images are the non-healthy ones
            JsonNode card = Json.MAPPER.readTree(out.resolve(method).resolve("model.json").toFile());
            assertThat(card.get("weightsSha256").asText()).startsWith(evaluated.group(8));
            assertThat(Integer.parseInt(evaluated.group(7))).isBetween(1, 4);
        }

        Matcher m = PREDICTION.matcher(printed);
        int predictions = 0;
        while (m.find()) {
            predictions++;
            assertThat(List.of(m.group(3), m.group(5), m.group(7))).containsExactly("cavity", "healthy", "opacity");
            double[] p = {Double.parseDouble(m.group(4)), Double.parseDouble(m.group(6)), Double.parseDouble(m.group(8))};
            assertThat(p[0] + p[1] + p[2]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(2e-6));
            int best = p[1] > p[0] ? (p[2] > p[1] ? 2 : 1) : (p[2] > p[0] ? 2 : 0);
            assertThat(m.group(2)).isEqualTo(List.of("cavity", "healthy", "opacity").get(best));
            // the heat map is at the image's size, which is the generated size
            assertThat(List.of(m.group(9), m.group(10), m.group(11), m.group(12))).containsOnly("32");
            GreyImage overlay = ImageFiles.read(out.resolve("heatmaps").resolve(m.group(1) + ".png"));
            assertThat(overlay.width()).isEqualTo(32);
            assertThat(overlay.height()).isEqualTo(32);
        }
        // the hold-out's test quarter of 8 images per class is 2 per class, 6 in all: the example predicts the first 4
        assertThat(predictions).as(printed).isEqualTo(4);
        try (var files = Files.list(out.resolve("heatmaps"))) {
            assertThat(files.count()).isEqualTo(4);
        }
        assertThat(Files.readAllLines(out.resolve("hkd/split.csv")).stream().filter(l -> l.endsWith(",test"))).hasSize(6);
    }

    /** Runs the example's main with standard output captured (standard error, the training log, dropped). */
    private static String runMain(Path classes, String... args) throws Exception {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                LibraryExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass("TrainAndPredict").getMethod("main", String[].class);
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(OutputStream.nullOutputStream()));
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        return printed;
    }
}
