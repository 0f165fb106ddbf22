package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two annotation-fraction forms trained end to end on 15 training images (5 per class, every
 * pathological image annotated, the healthy ones with an empty ROI): the reference's control
 * ({@code method.teacherFraction}) and the regions-kept variant ({@code method.regionsKeptFraction}).
 */
class TeacherFractionTrainingTest {
    @Test
    void theTeacherTrainsOnItsStratifiedShareForScaledEpochsAndTheStudentOnEveryImage(@TempDir Path dir) throws Exception {
        Fixture f = Fixture.of(dir);
        TrainConfig config = f.config().toBuilder().teacherFraction(0.5).build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        new TrainRun(config, new PrintStream(log, true, StandardCharsets.UTF_8)).run(f.dataset(), f.parts(),
                f.provenance(), dir.resolve("run"), false);

        // round(0.5 * 5) = 3 images of each of the three classes: 9 of 15, for round(1 / 0.5) = 2 epochs
        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("teacher: trains on 9 of 15 training images (method.teacherFraction 0.5, a"
                + " class-stratified draw of seed 1) for 2 epochs (1 / 0.5)")
                .contains("teacher: 9 of 9 training images have an ROI")
                .contains("student: distils on all 15 training images, 15 of them with an ROI view");
        assertThat(Files.readAllLines(dir.resolve("run/history-teacher.csv"))).hasSize(1 + 2);
        assertThat(Files.readAllLines(dir.resolve("run/history-student.csv"))).hasSize(1 + 3);
        ModelCard teacher = ModelBundle.readCard(dir.resolve("run/teacher"));
        assertThat(teacher.checkpoint().epochsPlanned()).isEqualTo(2);
        // the teacher's model.json names the images it trained on: exactly the seeded draw, three per class
        List<Sample> train = f.parts().train();
        List<Integer> drawn = TeacherShare.draw(train.stream().map(Sample::classIndex).toList(), 0.5, 1);
        assertThat(teacher.parts().training()).hasSize(9).containsExactlyInAnyOrderElementsOf(
                drawn.stream().map(i -> ModelCard.DataParts.contentHash(train.get(i).file())).toList());
        Map<String, Sample> byHash = train.stream().collect(Collectors.toMap(
                s -> ModelCard.DataParts.contentHash(s.file()), Function.identity()));
        assertThat(teacher.parts().training().stream().map(h -> byHash.get(h).className())
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting())))
                .isEqualTo(Map.of("cavity", 3L, "healthy", 3L, "opacity", 3L));
        // the student distilled on every training image
        ModelCard student = ModelBundle.readCard(dir.resolve("run"));
        assertThat(student.parts().training()).hasSize(15).containsExactlyInAnyOrderElementsOf(byHash.keySet());
        assertThat(student.checkpoint().epochsPlanned()).isEqualTo(3);
    }

    @Test
    void theRegionsKeptVariantDropsTheRegionsOfTheOtherAnnotatedImagesForBothStages(@TempDir Path dir) throws Exception {
        Fixture f = Fixture.of(dir);
        TrainConfig config = f.config().toBuilder().regionsKeptFraction(0.4).build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        new TrainRun(config, new PrintStream(log, true, StandardCharsets.UTF_8)).run(f.dataset(), f.parts(),
                f.provenance(), dir.resolve("run"), false);

        // 10 annotated (cavity, opacity) images, round(0.4 * 10) = 4 keep their regions; the 5 healthy images keep
        // their empty ROI: the teacher trains on 9 images for its own epoch, the student on all 15, 9 with an ROI view
        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("regions of 4 of 10 annotated training images kept (method.regionsKeptFraction 0.40)")
                .contains("teacher: 9 of 15 training images have an ROI")
                .contains("student: distils on all 15 training images, 9 of them with an ROI view")
                .doesNotContain("teacher: trains on");
        assertThat(Files.readAllLines(dir.resolve("run/history-teacher.csv"))).hasSize(1 + 1);
        assertThat(ModelBundle.readCard(dir.resolve("run/teacher")).parts().training()).hasSize(9);
        assertThat(ModelBundle.readCard(dir.resolve("run")).parts().training()).hasSize(15);
    }

    private record Fixture(Dataset dataset, TrainRun.Parts parts, TrainConfig config, TrainRun.Provenance provenance) {
        static Fixture of(Path dir) {
            Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 5, 1, 1, 0.0, 0.7, 3));
            Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv"))
                    .withRegionTypes("lesion"));
            Split split = Split.fromColumn(dataset, "split");
            TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                    split.samples(dataset, Split.TEST));
            TrainConfig config = TrainConfig.shortcutTask("hkd", "roi", 1, 2).toBuilder().epochs(3).teacherEpochs(1)
                    .kdEpochs(2).build();
            return new Fixture(dataset, parts, config, new TrainRun.Provenance(null, "synthetic", "synthetic", "test"));
        }
    }
}
