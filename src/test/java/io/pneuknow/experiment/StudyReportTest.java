package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.Dataset;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.report.HeadlessChromium;
import io.pneuknow.train.TrainConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny study (baseline, hkd, hkd-fraction-0.5; 3 folds, one seed) writes report.html: self-contained,
 * with the expected number of plots and heat-map images, the provenance of every cell's model, and,
 * opened in headless Chromium, every image decoded and every plot drawn.
 */
@Tag("heavy")
class StudyReportTest {
    private static final List<String> METHODS = List.of("baseline", "hkd", "hkd-fraction-0.5");

    @Test
    void tinyStudyReportIsSelfContainedAndRendersEveryPlotAndImage(@TempDir Path dir) throws Exception {
        Path chromium = HeadlessChromium.binary(); // skips (or fails under pneuknow.requireHeavy) before training
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 6, 2, 2, 0.25, 0.7, 4));
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion");
        TrainConfig train = TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(2).teacherEpochs(1)
                .kdEpochs(2).learningRate(1e-3f).augment("weak").seed(1).threads(2).studentEpochs(2).build();
        StudyConfig config = new StudyConfig("tiny <report> & co", spec, 3, 7, null, List.of("tiny_cnn"), METHODS,
                List.of(1L), train, 200);
        Path study = dir.resolve("study");
        List<CellResult> cells = StudyRunner.run(config, study, new PrintStream(OutputStream.nullOutputStream()));
        assertThat(cells).hasSize(9);

        Path report = study.resolve(StudyReport.FILE);
        String html = Files.readString(report);
        try (var files = Files.list(study)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }

        // self-contained: nothing fetched from anywhere, every image inline, only in-page links
        assertThat(html).doesNotContainIgnoringCase("http://").doesNotContainIgnoringCase("https://")
                .doesNotContainIgnoringCase("<link").doesNotContainIgnoringCase("url(").doesNotContainIgnoringCase("@import")
                .doesNotContainIgnoringCase("<script src").doesNotContainIgnoringCase("<iframe");
        assertThat(attributes(html, "src")).isNotEmpty().allMatch(v -> v.startsWith("data:image/png;base64,"));
        assertThat(attributes(html, "href")).isNotEmpty().allMatch(v -> v.startsWith("#"));
        assertThat(html).contains("<h1>Study tiny &lt;report&gt; &amp; co</h1>").doesNotContain("tiny <report>");

        // plots: one learning-curve chart, ROC + confusion + reliability for each of the 3 models, one fraction curve
        int expectedPlots = 1 + 3 * METHODS.size() + 1;
        assertThat(count(html, "<svg ")).isEqualTo(expectedPlots);
        assertThat(count(html, "class=\"chart line\"")).isEqualTo(2);
        assertThat(count(html, "class=\"chart roc\"")).isEqualTo(3);
        assertThat(count(html, "class=\"chart confusion\"")).isEqualTo(3);
        assertThat(count(html, "class=\"chart reliability\"")).isEqualTo(3);
        for (String svg : elements(html, "<svg class=\"chart confusion\"", "</svg>")) {
            // each model's pooled predictions cover the 30 images once
            assertThat(numbers(svg, "<text [^>]*class=\"count\"[^>]*>(\\d+)</text>")).as(svg).hasSize(9).allMatch(n -> n >= 0)
                    .matches(n -> n.stream().mapToInt(Integer::intValue).sum() == 30, "sum to 30");
        }
        String fraction = elements(html, "<svg class=\"chart line\" width", "</svg>").get(1);
        assertThat(fraction).contains("Annotation fraction, tiny_cnn").contains("data-name=\"baseline balanced accuracy\"")
                .contains("data-name=\"HKD balanced accuracy\"");

        // gallery: the annotated images, in turn from each class (up to 8), the expert's region and every method
        Dataset dataset = DatasetLoader.load(spec);
        Map<String, Long> annotatedPerClass = dataset.samples().stream().filter(Sample::annotated)
                .collect(Collectors.groupingBy(Sample::className, TreeMap::new, Collectors.counting()));
        int galleryRows = (int) Math.min(HeatMapGallery.GALLERY_IMAGES, annotatedPerClass.values().stream().mapToLong(Long::longValue).sum());
        assertThat(annotatedPerClass.keySet()).containsExactly("cavity", "opacity");
        assertThat(annotatedPerClass.values()).allMatch(n -> n >= 4);
        List<String> regionAlts = new ArrayList<>();
        Matcher alt = Pattern.compile("<img alt=\"expert&#39;s region ([^\"]+)\"").matcher(html);
        while (alt.find()) {
            regionAlts.add(alt.group(1));
        }
        assertThat(regionAlts).hasSize(galleryRows).doesNotHaveDuplicates();
        Map<String, Sample> byId = dataset.samples().stream().collect(Collectors.toMap(Sample::imageId, s -> s));
        assertThat(regionAlts).allMatch(id -> byId.get(id).annotated());
        assertThat(regionAlts.stream().map(id -> byId.get(id).className()))
                .containsExactly("cavity", "opacity", "cavity", "opacity", "cavity", "opacity", "cavity", "opacity");
        for (String method : METHODS) {
            assertThat(count(html, "<img alt=\"tiny_cnn " + method + " ")).as(method).isEqualTo(galleryRows);
        }
        int expectedImages = galleryRows * (1 + METHODS.size());
        assertThat(count(html, "<img ")).isEqualTo(expectedImages);
        // the overlays carry heat colours, the expert's-region images only grey and the green outline
        assertThat(elements(html, "<img alt=\"tiny_cnn ", ">").stream().anyMatch(img -> hasHeatColour(img))).isTrue();
        assertThat(elements(html, "<img alt=\"expert&#39;s region ", ">")).noneMatch(StudyReportTest::hasHeatColour);

        // provenance: every cell's model id and weights hash from its model.json
        for (CellResult c : cells) {
            ModelCard card = ModelBundle.readCard(new StudyRunner.Cell(c.architecture(), StudyMethod.parse(c.method()), c.fold(),
                    c.seed()).dir(study));
            assertThat(html).contains(card.weightsSha256()).contains("<td class=\"nowrap\">" + c.architecture() + " " + c.method() + " fold "
                    + c.fold() + " seed " + c.seed() + "</td><td class=\"mono\">" + card.id() + "</td>");
            if (card.teacher() != null) {
                assertThat(html).contains(card.teacher().weightsSha256());
            }
        }

        // and in a browser: every image decoded, every plot drawn
        long start = System.nanoTime();
        HeadlessChromium.RenderCheck check = HeadlessChromium.renderCheck(
                HeadlessChromium.dumpDom(chromium, report, dir.resolve("chromium"), Duration.ofSeconds(60)));
        System.out.printf("render check in Chromium: %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertThat(check.done()).as("the render check ran").isTrue();
        assertThat(check.failed()).isEmpty();
        assertThat(check.images()).isEqualTo(expectedImages);
        assertThat(check.imagesRendered()).isEqualTo(expectedImages);
        assertThat(check.plots()).isEqualTo(expectedPlots);
        assertThat(check.plotsRendered()).isEqualTo(expectedPlots);
    }

    private static boolean hasHeatColour(String img) {
        Matcher m = Pattern.compile("base64,([A-Za-z0-9+/=]+)").matcher(img);
        if (!m.find()) {
            throw new AssertionError("no data URI in " + img);
        }
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int rgb = image.getRGB(x, y);
                    int r = (rgb >> 16) & 0xff;
                    int g = (rgb >> 8) & 0xff;
                    int b = rgb & 0xff;
                    boolean grey = r == g && g == b;
                    boolean outline = r == 0 && g == 255 && b == 0;
                    if (!grey && !outline) {
                        return true;
                    }
                }
            }
            return false;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    private static List<String> attributes(String html, String name) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\\s" + name + "=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE).matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static List<String> elements(String html, String start, String end) {
        List<String> out = new ArrayList<>();
        for (int i = html.indexOf(start); i >= 0; i = html.indexOf(start, i + 1)) {
            out.add(html.substring(i, html.indexOf(end, i) + end.length()));
        }
        return out;
    }

    private static List<Integer> numbers(String text, String regex) {
        List<Integer> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }
}
