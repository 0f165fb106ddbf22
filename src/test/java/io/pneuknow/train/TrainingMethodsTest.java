package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TrainingMethodsTest {
    @Test
    void knowsTheMethodsByTheirNames() {
        assertThat(TrainingMethods.names()).containsExactly("baseline", "hkd", "energy", "hkd-energy");
        assertThat(TrainingMethods.of("energy")).isSameAs(TrainingMethods.ENERGY);
        assertThat(TrainingMethods.of("hkd-energy")).isSameAs(TrainingMethods.HKD_ENERGY);
        assertThat(TrainingMethods.of("baseline")).isSameAs(TrainingMethods.BASELINE);
        assertThat(TrainingMethods.of("hkd")).isSameAs(TrainingMethods.HKD);
        assertThat(TrainingMethods.reference()).isSameAs(TrainingMethods.BASELINE);
        assertThat(TrainConfig.builder().build().method().name()).isEqualTo("baseline");
        assertThat(TrainConfig.CHOICES.get("method.name")).isEqualTo(TrainingMethods.names());
    }

    @Test
    void refusesAnUnknownNameNamingTheKnownOnes() {
        assertThatThrownBy(() -> TrainingMethods.of("kd")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'kd' is unknown").hasMessageContaining("baseline or hkd or energy or hkd-energy");
        assertThat(TrainingMethods.find("HKD")).isEmpty();
    }

    @Test
    void eachMethodOwnsItsStagesAndLosses() {
        TrainConfig config = TrainConfig.defaults();
        TrainingMethod baseline = TrainingMethods.BASELINE;
        assertThat(baseline.distills()).isFalse();
        assertThat(baseline.stages()).containsExactly("baseline");
        assertThat(baseline.historyFile()).isEqualTo("history-baseline.csv");
        assertThat(baseline.loss("baseline", config)).isSameAs(TrainingMethod.StageLoss.CLASSIFICATION);

        TrainingMethod hkd = TrainingMethods.HKD;
        assertThat(hkd.distills()).isTrue();
        assertThat(hkd.stages()).containsExactly("teacher", "student");
        assertThat(hkd.finalStage()).isEqualTo("student");
        assertThat(hkd.historyFile()).isEqualTo("history-student.csv");
        assertThat(hkd.loss("teacher", config)).isSameAs(TrainingMethod.StageLoss.CLASSIFICATION);
        assertThat(hkd.loss("student", config)).isSameAs(TrainingMethod.StageLoss.DISTILLATION); // raw features, the default

        assertThat(TrainConfig.builder().method("hkd").build().distills()).isTrue();
        assertThat(TrainConfig.builder().method("baseline").build().distills()).isFalse();
    }

    @Test
    void studyNamesAreOptionsOfTheirMethod() {
        assertThat(TrainingMethods.studyForm("baseline").method()).isSameAs(TrainingMethods.BASELINE);
        TrainingMethod.StudyForm raw = TrainingMethods.studyForm("hkd-raw-teacher");
        assertThat(raw.method()).isSameAs(TrainingMethods.HKD);
        assertThat(raw.teacherInput()).isEqualTo("raw");
        assertThat(TrainingMethods.studyForm("hkd-shuffled-roi").teacherInput()).isEqualTo("shuffled-roi");
        TrainingMethod.StudyForm fraction = TrainingMethods.studyForm("hkd-fraction-0.25");
        // the reference's control: the teacher on a share of the training images, every region kept
        assertThat(fraction.teacherFraction()).isEqualTo(0.25);
        assertThat(fraction.regionsKeptFraction()).isEqualTo(1.0);
        assertThat(fraction.fractionForm()).isTrue();
        TrainingMethod.StudyForm kept = TrainingMethods.studyForm("hkd-regions-kept-0.4");
        assertThat(kept.method()).isSameAs(TrainingMethods.HKD);
        assertThat(kept.teacherFraction()).isEqualTo(1.0);
        assertThat(kept.regionsKeptFraction()).isEqualTo(0.4);
        assertThat(kept.fractionForm()).isFalse();
        assertThat(TrainingMethods.studyForm("hkd-regions-kept-1.5")).isNull();
        assertThat(TrainingMethods.studyForm("hkd").teacherFraction()).isEqualTo(1.0);
        assertThat(TrainingMethods.studyForm("hkd-fraction-0")).isNull();
        assertThat(TrainingMethods.studyForm("hkd-fraction-x")).isNull();
        assertThat(TrainingMethods.studyForm("nope")).isNull();
        assertThat(TrainingMethods.studyNames()).isEqualTo(
                "baseline, hkd, hkd-raw-teacher, hkd-shuffled-roi, hkd-fraction-F with F in (0, 1],"
                        + " hkd-regions-kept-F with F in (0, 1], energy, hkd-energy, hkd-energy-raw-teacher,"
                        + " hkd-energy-shuffled-roi, hkd-energy-fraction-F with F in (0, 1] or"
                        + " hkd-energy-regions-kept-F with F in (0, 1]");
    }

    @Test
    void theEnergyMethodsAddTheEnergyTermToTheirFinalStageOnly() {
        TrainConfig config = TrainConfig.builder().energyWeight(2.5f).build();
        TrainingMethod energy = TrainingMethods.ENERGY;
        assertThat(energy.distills()).isFalse();
        assertThat(energy.stages()).containsExactly("energy");
        assertThat(energy.historyFile()).isEqualTo("history-energy.csv");
        assertThat(energy.loss("energy", config).needsRegionShares()).isTrue();

        TrainingMethod hkdEnergy = TrainingMethods.HKD_ENERGY;
        assertThat(hkdEnergy.distills()).isTrue();
        assertThat(hkdEnergy.stages()).containsExactly("teacher", "student");
        assertThat(hkdEnergy.loss("teacher", config)).isSameAs(TrainingMethod.StageLoss.CLASSIFICATION);
        assertThat(hkdEnergy.loss("student", config).needsRegionShares()).isTrue();
        assertThat(TrainingMethods.HKD.loss("student", config).needsRegionShares()).isFalse();
        assertThat(TrainConfig.builder().method("hkd-energy").build().distills()).isTrue();
        assertThat(TrainConfig.builder().method("energy").build().distills()).isFalse();
    }

    @Test
    void theEnergyMethodsStudyNamesIncludeTheHkdControls() {
        assertThat(TrainingMethods.studyForm("energy").method()).isSameAs(TrainingMethods.ENERGY);
        assertThat(TrainingMethods.studyForm("hkd-energy").method()).isSameAs(TrainingMethods.HKD_ENERGY);
        TrainingMethod.StudyForm shuffled = TrainingMethods.studyForm("hkd-energy-shuffled-roi");
        assertThat(shuffled.method()).isSameAs(TrainingMethods.HKD_ENERGY);
        assertThat(shuffled.teacherInput()).isEqualTo("shuffled-roi");
        TrainingMethod.StudyForm fraction = TrainingMethods.studyForm("hkd-energy-fraction-0.5");
        assertThat(fraction.method()).isSameAs(TrainingMethods.HKD_ENERGY);
        assertThat(fraction.teacherFraction()).isEqualTo(0.5);
        assertThat(TrainingMethods.studyForm("hkd-energy-regions-kept-0.5").regionsKeptFraction()).isEqualTo(0.5);
        // HKD's own names stay HKD's
        assertThat(TrainingMethods.studyForm("hkd-fraction-0.5").method()).isSameAs(TrainingMethods.HKD);
        assertThat(TrainingMethods.studyForm("energy-raw-teacher")).isNull();
    }

    /**
     * Only the registry and the methods themselves spell a method's name; everything else asks
     * {@link TrainingMethods} or the method. Comment lines (Javadoc examples of the file formats)
     * are not code and are skipped.
     */
    @Test
    void noMainSourceOutsideTheRegistryComparesAMethodName() throws IOException {
        Set<String> allowed = Set.of("TrainingMethods.java", "BaselineMethod.java", "HkdMethod.java");
        Pattern literal = Pattern.compile("\"(hkd|baseline)\"");
        List<String> found = new ArrayList<>();
        for (Path root : List.of(Path.of("src/main/java"), Path.of("spark/src/main/java"))) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    if (allowed.contains(file.getFileName().toString())) {
                        continue;
                    }
                    List<String> lines = Files.readAllLines(file);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).trim();
                        if (line.startsWith("*") || line.startsWith("/*") || line.startsWith("//")) {
                            continue;
                        }
                        if (literal.matcher(line).find()) {
                            found.add(file + ":" + (i + 1) + ": " + line);
                        }
                    }
                }
            }
        }
        assertThat(found).as("method names spelled outside the registry").isEmpty();
    }
}
