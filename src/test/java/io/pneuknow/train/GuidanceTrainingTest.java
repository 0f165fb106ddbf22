package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Guidance regions give the HKD teacher ROIs for images without expert regions, and only for those. */
class GuidanceTrainingTest {
    @Test
    void lungBoxesStandInForMissingLesionsInTraining(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 8, 2, 2, 0.5, 0.7, 3));
        DataSpec lesions = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion")
                .withSplitColumn("split");
        Dataset plain = DatasetLoader.load(lesions);
        // a lung box on every image (one more region type), as a data set's anatomy annotations would be
        StringBuilder rows = new StringBuilder();
        for (Sample s : plain.samples()) {
            rows.append(s.imageId()).append(',').append(data.relativize(s.file())).append(",anatomy,lung,8,8,48,48,\n");
        }
        Files.writeString(data.resolve("regions.csv"), rows, StandardOpenOption.APPEND);
        Dataset guided = DatasetLoader.load(lesions.withGuidanceRegionTypes("anatomy"));

        Split split = Split.fromColumn(plain, "split");
        List<Sample> train = split.samples(guided, Split.TRAIN);
        long guidanceOnly = train.stream().filter(s -> !s.guidanceRegions().isEmpty()).count();
        long pathologicalWithoutLesion = split.samples(plain, Split.TRAIN).stream()
                .filter(s -> !s.annotated() && !s.className().equals("healthy")).count();
        long healthy = train.stream().filter(s -> s.className().equals("healthy")).count();
        assertThat(pathologicalWithoutLesion).isPositive();
        // guidance only where no lesion is drawn: the unannotated pathological images and the healthy ones
        assertThat(guidanceOnly).isEqualTo(pathologicalWithoutLesion + healthy);

        int withoutGuidance = teacherRoiImages(plain, dir.resolve("plain"));
        int withGuidance = teacherRoiImages(guided, dir.resolve("guided"));
        // healthy images have an (empty) ROI either way; the unannotated pathological ones gain the lungs
        assertThat(withGuidance - withoutGuidance).isEqualTo((int) pathologicalWithoutLesion);
    }

    /** Trains one epoch of HKD and reads how many training images the teacher saw with an ROI. */
    private static int teacherRoiImages(Dataset dataset, Path out) throws Exception {
        Split split = Split.fromColumn(dataset, "split");
        TrainConfig config = TrainConfig.shortcutTask("hkd", "roi", 1, 2).with("hkd", "roi", "tiny_cnn", 1, 1.0, 1.0);
        config = config.toBuilder().epochs(1).teacherEpochs(1).kdEpochs(1).build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                List.of());
        new TrainRun(config, new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(dataset, parts, new TrainRun.Provenance(null, "synthetic", "synthetic", "test"), out, false);
        Matcher m = Pattern.compile("teacher: (\\d+) of (\\d+) training images have an ROI")
                .matcher(log.toString(StandardCharsets.UTF_8));
        assertThat(m.find()).as(log.toString(StandardCharsets.UTF_8)).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
