package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mechanism the method stands on: on the synthetic shortcut task (the class shows in a lesion
 * inside the annotated region; a marker outside it agrees with the label in training and
 * validation images and not in test images), the HKD student is right more often than the
 * baseline on test images where the marker points to another class, and the reference's control
 * whose teacher sees the raw images (marker included) shows no such gain: the gain comes from the
 * teacher's view reduced to the expert's regions. Means over three seeds.
 *
 * <p>What it does not claim: that the regions' location matters on this task. The shuffled-ROI
 * control (annotated images swap regions, no-finding images keep their empty ROI) gains almost as
 * much here (+0.204 against HKD's +0.245 at the commit that made the control location-only; see
 * docs/results.md, "Issue 18"): a teacher that sees other images' lung regions never sees the
 * marker either.
 */
class HkdMechanismTest {
    static final long[] SEEDS = {1, 2, 3};

    static TrainConfig config(String method, String teacherInput, long seed) {
        return TrainConfig.shortcutTask(method, teacherInput, seed, 2);
    }

    @Test
    void hkdStudentBeatsTheBaselineWhereTheShortcutMisleadsAndTheRawTeacherControlDoesNot(@TempDir Path dir)
            throws Exception {
        double[] baseline = new double[SEEDS.length];
        double[] hkd = new double[SEEDS.length];
        double[] rawTeacher = new double[SEEDS.length];
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (int i = 0; i < SEEDS.length; i++) {
            long seed = SEEDS[i];
            Path data = SyntheticChestXrays.generate(dir.resolve("data" + seed), SyntheticChestXrays.Spec.shortcutTask(seed));
            Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv"))
                    .withRegionTypes("lesion"));
            Split split = Split.fromColumn(dataset, "split");
            List<Sample> conflict = split.samples(dataset, Split.TEST).stream()
                    .filter(s -> s.attributes().get("cue_agrees").equals("0")).toList();
            TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN),
                    split.samples(dataset, Split.VAL), conflict);
            TrainRun.Provenance provenance = new TrainRun.Provenance(null, "synthetic", "synthetic", "test");
            baseline[i] = new TrainRun(config("baseline", "roi", seed), quiet)
                    .run(dataset, parts, provenance, dir.resolve("baseline" + seed), false).testAccuracy();
            hkd[i] = new TrainRun(config("hkd", "roi", seed), quiet)
                    .run(dataset, parts, provenance, dir.resolve("hkd" + seed), false).testAccuracy();
            rawTeacher[i] = new TrainRun(config("hkd", "raw", seed), quiet)
                    .run(dataset, parts, provenance, dir.resolve("raw" + seed), false).testAccuracy();
            System.out.printf(Locale.ROOT, "mechanism seed %d: cue-conflict accuracy baseline %.3f, HKD %.3f, raw-teacher control %.3f (%d images)%n",
                    seed, baseline[i], hkd[i], rawTeacher[i], conflict.size());
        }
        double gain = mean(hkd) - mean(baseline);
        double controlGain = mean(rawTeacher) - mean(baseline);
        System.out.printf(Locale.ROOT, "mechanism mean: baseline %.3f, HKD %.3f (%+.3f), raw-teacher control %.3f (%+.3f)%n",
                mean(baseline), mean(hkd), gain, mean(rawTeacher), controlGain);
        assertThat(gain).as("HKD gain over the baseline on cue-conflict images").isGreaterThanOrEqualTo(0.10);
        assertThat(controlGain).as("raw-teacher control's gain over the baseline").isLessThan(0.10);
    }

    static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
