package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyConfigTest {
    @Test
    void theExampleStudyFileReadsWithDefaultsFilledIn() {
        StudyConfig config = StudyConfig.read(Path.of("docs/examples/study-cxr-adult.json"));
        assertThat(config.folds()).isEqualTo(5);
        assertThat(config.foldsToRun(5)).containsExactly(0, 1, 2, 3, 4);
        assertThat(config.data().labelsFile()).isEqualTo(Path.of("../shared/data/cxr/labels.csv"));
        assertThat(config.data().regionsCsv()).isEqualTo(Path.of("../shared/data/cxr/regions.csv"));
        assertThat(config.data().patientColumn()).isEqualTo("patient_id");
        assertThat(config.data().rowFilter()).containsEntry("recommended_main", "1");
        assertThat(config.methods()).containsExactly("baseline", "hkd");
        assertThat(config.train().epochs()).isEqualTo(20);
        // written out and read back (as in study.json: absolute file URIs), the files stay the same files
        StudyConfig again = io.pneuknow.Json.MAPPER.convertValue(io.pneuknow.Json.MAPPER.valueToTree(config), StudyConfig.class);
        assertThat(again.data().labelsFile().normalize()).isEqualTo(config.data().labelsFile().toAbsolutePath().normalize());
        assertThat(again.data().regionsCsv().normalize()).isEqualTo(config.data().regionsCsv().toAbsolutePath().normalize());
    }

    @Test
    void aStudyFileNamingHkdFractionReadsAsTheTeacherShareWithANoteOnTheEarlierMeaning(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("study.json");
        Files.writeString(file, """
                {"data": {"root": "x"}, "folds": 3, "architectures": ["tiny_cnn"],
                 "methods": ["baseline", "hkd", "hkd-fraction-0.25", "hkd-regions-kept-0.5"], "seeds": [1],
                 "train": {"method": {"annotationFraction": 1.0}}}
                """);
        List<String> notes = new java.util.ArrayList<>();

        StudyConfig config = StudyConfig.read(file, notes::add);

        assertThat(config.train().regionsKeptFraction()).isEqualTo(1.0);
        assertThat(notes).containsExactly(
                file + ": train.method.annotationFraction is now method.regionsKeptFraction (the share of annotated"
                        + " images whose regions are kept; the reference's annotation-fraction control, the teacher on"
                        + " a share of the images, is method.teacherFraction); read as that",
                file + ": hkd-fraction-0.25 is the reference's annotation-fraction control (the teacher on a share"
                        + " 0.25 of the training images for proportionally more epochs, the student on all); in earlier"
                        + " study files it named the regions-kept variant, now hkd-regions-kept-0.25");
        notes.clear();
        Files.writeString(file, Files.readString(file).replace("\"hkd-fraction-0.25\", ", "")
                .replace("\"annotationFraction\"", "\"regionsKeptFraction\""));
        StudyConfig.read(file, notes::add);
        assertThat(notes).isEmpty();
    }

    @Test
    void badStudyFilesGetEveryProblemNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("study.json");
        Files.writeString(file, """
                {"data": {"root": "x"}, "folds": 2, "architectures": ["tiny_cnn"], "methods": ["baseline", "magic"],
                 "seeds": [1], "testFolds": [5], "train": null}
                """);
        assertThatThrownBy(() -> StudyConfig.read(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'train' is missing")
                .hasMessageContaining("folds 2 must be at least 3")
                .hasMessageContaining("method 'magic' is unknown")
                .hasMessageContaining("test fold 5 is outside 0..1");
        assertThat(StudyMethod.parse("hkd-fraction-0.3").teacherFraction()).isEqualTo(0.3);
        assertThat(StudyMethod.parse("hkd-fraction-0.3").regionsKeptFraction()).isEqualTo(1.0);
        assertThat(StudyMethod.parse("hkd-regions-kept-0.3").regionsKeptFraction()).isEqualTo(0.3);
        assertThat(StudyMethod.parse("hkd-regions-kept-0.3").teacherFraction()).isEqualTo(1.0);
        assertThat(List.of("baseline", "hkd-raw-teacher", "hkd-shuffled-roi")).allSatisfy(StudyMethod::parse);
    }

    @Test
    void variantsOverrideTheBaseSettingsInOrderAndAreCheckedLikeTheRest(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("study.json");
        Files.writeString(file, """
                {"data": {"root": "x"}, "folds": 3, "architectures": ["tiny_cnn"],
                 "methods": ["baseline", "hkd+imbalance", "hkd+imbalance+focal"], "seeds": [1],
                 "variants": {"imbalance": {"sampling": "class-balanced", "selectBy": "balanced-accuracy", "loss": "cross-entropy"},
                              "focal": {"loss": "focal", "focalGamma": 1.5}},
                 "train": {"method": "baseline", "teacherInput": "roi", "architecture": "tiny_cnn", "inputSize": 64,
                           "channels": 1, "dropout": 0, "epochs": 2, "teacherEpochs": 1, "alpha0": 0.5, "kdEpochs": 2,
                           "learningRate": 0.001, "perBatchSchedule": false, "batchSize": 8, "classWeights": true,
                           "augment": "weak", "roiShape": "mask", "roiMargin": 0, "noFindingClass": "healthy",
                           "unannotated": "exclude", "seed": 1, "threads": 2, "loaderThreads": 1}}
                """);
        StudyConfig config = StudyConfig.read(file);
        StudyMethod plain = StudyMethod.parse("hkd");
        StudyMethod both = StudyMethod.parse("hkd+imbalance+focal");
        assertThat(config.trainFor(plain)).isEqualTo(config.train());
        assertThat(both.method()).isEqualTo("hkd");
        assertThat(both.variants()).containsExactly("imbalance", "focal");
        // later variants win: focal replaces imbalance's cross-entropy; the rest of the base stays
        var settings = config.trainFor(both);
        assertThat(settings.sampling()).isEqualTo("class-balanced");
        assertThat(settings.selectBy()).isEqualTo("balanced-accuracy");
        assertThat(settings.loss()).isEqualTo("focal");
        assertThat(settings.focalGamma()).isEqualTo(1.5);
        assertThat(settings.classWeights()).isTrue();
        assertThat(settings.epochs()).isEqualTo(2);
        // the reference of each method in the primary comparison
        assertThat(both.reference()).isEqualTo("baseline+imbalance+focal");
        assertThat(StudyMethod.parse("baseline+imbalance").reference()).isEqualTo("baseline");
        assertThat(StudyMethod.parse("baseline").reference()).isNull();
        assertThat(StudyMethod.parse("hkd-fraction-0.5+imbalance").teacherFraction()).isEqualTo(0.5);

        String text = Files.readString(file);
        Files.writeString(file, text.replace("\"hkd+imbalance\",", "\"hkd+imbalanse\", \"hkd+\",")
                .replace("\"focalGamma\": 1.5", "\"focalGamma\": 1.5, \"method\": \"hkd\"")
                .replace("\"class-balanced\"", "\"sometimes\""));
        assertThatThrownBy(() -> StudyConfig.read(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("names variant 'imbalanse', which \"variants\" does not define")
                .hasMessageContaining("method 'hkd+' has an empty variant name")
                .hasMessageContaining("variant 'focal' sets method");
        Files.writeString(file, text.replace("\"seeds\": [1],", "\"seeds\": [1], \"comparisons\": [[\"hkd+imbalance\", \"hkd\"]],"));
        assertThatThrownBy(() -> StudyConfig.read(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("comparison [hkd+imbalance, hkd] must be [method, reference], both listed");
        Files.writeString(file, text.replace("\"class-balanced\"", "\"sometimes\""));
        assertThatThrownBy(() -> StudyConfig.read(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("variants.imbalance.sampling \"sometimes\" is not one of shuffle, class-balanced");
    }
}
