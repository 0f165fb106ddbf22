package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Study files in the nested form (docs/examples) and in the flat form of PneuKnow 0.2 (the same files as
 * they were, under src/test/resources/flat-0.2) give the same settings, and a study folder written
 * before still resumes.
 */
class StudyFileFormsTest {
    static final Path FLAT = Path.of("src/test/resources/flat-0.2");

    /** The training settings of a study file's train and of each of its variants applied to it. */
    private static List<TrainConfig> settings(Path file) throws Exception {
        JsonNode study = Json.MAPPER.readTree(file.toFile());
        TrainConfig train = TrainConfig.fromJson(study.get("train"), file + ": train", n -> { });
        List<TrainConfig> all = new ArrayList<>(List.of(train));
        if (study.get("variants") != null) {
            study.get("variants").fields().forEachRemaining(v -> {
                ObjectNode overrides = ((ObjectNode) v.getValue()).deepCopy();
                overrides.remove(StudyConfig.GUIDANCE);
                all.add(train.with(overrides));
            });
        }
        return all;
    }

    @Test
    void eachExampleStudyFileReadsTheSameAsItsFlatForm() throws Exception {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("docs/examples"))) {
            examples = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(examples).hasSize(7);
        for (Path example : examples) {
            Path flat = FLAT.resolve(example.getFileName());
            assertThat(TrainConfig.isFlat(Json.MAPPER.readTree(example.toFile()).get("train"))).as(example.toString()).isFalse();
            assertThat(TrainConfig.isFlat(Json.MAPPER.readTree(flat.toFile()).get("train"))).as(flat.toString()).isTrue();
            assertThat(settings(example)).as(example.toString()).isEqualTo(settings(flat))
                    .allSatisfy(c -> assertThat(c.architecture()).isIn("resnet18_half", "tiny_cnn"));
        }
    }

    @Test
    void theImbalanceStudyReadsIntoTheExpectedNestedValues() throws Exception {
        for (Path file : List.of(Path.of("docs/examples/study-cxr-imbalance.json"),
                FLAT.resolve("study-cxr-imbalance.json"))) {
            StudyConfig config = StudyConfig.read(file);
            TrainConfig t = config.train();
            assertThat(Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(t))).isEqualTo(Json.MAPPER.readTree("""
                    {"model": {"architecture": "resnet18_half", "inputSize": 128, "channels": 1, "dropout": 0.5,
                               "pretrained": null},
                     "optimisation": {"epochs": 20, "studentEpochs": 30, "teacherEpochs": 10, "learningRate": 0.001,
                                      "backboneLearningRate": null, "perBatchSchedule": false, "batchSize": 16,
                                      "freezeBackboneEpochs": 0, "patience": 0, "selectBy": "loss", "seed": 1,
                                      "threads": 0, "loaderThreads": 1, "allowNoValidation": false},
                     "imbalance": {"classWeights": false, "sampling": "shuffle", "loss": "cross-entropy",
                                   "focalGamma": 2.0},
                     "augmentation": {"augment": "weak"},
                     "method": {"name": "baseline", "teacherInput": "roi", "alpha0": 0.5, "kdEpochs": 20,
                                "roiShape": "mask", "roiMargin": 0, "noFindingClass": "healthy", "unannotated": "exclude",
                                "teacherFraction": 1.0, "regionsKeptFraction": 1.0, "energyWeight": 1.0, "featureNorm": "raw", "featureLevel": "last"}}
                    """));
            TrainConfig imbalance = config.trainFor(StudyMethod.parse("hkd+imbalance"));
            assertThat(imbalance.imbalance().sampling()).isEqualTo("class-balanced");
            assertThat(imbalance.optimisation().selectBy()).isEqualTo("balanced-accuracy");
            assertThat(imbalance.toBuilder().sampling("shuffle").selectBy("loss").build()).isEqualTo(t);
        }
    }

    /** The study.json that PneuKnow 0.2's StudyRunner wrote into a study folder for study-cxr-imbalance.json. */
    private static ObjectNode studyJsonOf02(int epochs, String variantSampling) throws Exception {
        ObjectNode study = (ObjectNode) Json.MAPPER.readTree(FLAT.resolve("study-cxr-imbalance.json").toFile());
        study.set("train", Json.MAPPER.readTree("""
                {"method": "baseline", "teacherInput": "roi", "architecture": "resnet18_half", "inputSize": 128,
                 "channels": 1, "dropout": 0.5, "epochs": %d, "teacherEpochs": 10, "alpha0": 0.5, "kdEpochs": 20,
                 "learningRate": 0.001, "perBatchSchedule": false, "batchSize": 16, "classWeights": false,
                 "augment": "weak", "roiShape": "mask", "roiMargin": 0, "noFindingClass": "healthy",
                 "unannotated": "exclude", "seed": 1, "threads": 0, "loaderThreads": 1, "annotationFraction": 1.0,
                 "studentEpochs": 30, "sampling": "shuffle", "loss": "cross-entropy", "focalGamma": 2.0,
                 "selectBy": "loss", "patience": 0, "pretrained": null, "freezeBackboneEpochs": 0,
                 "backboneLearningRate": null, "allowNoValidation": false}
                """.formatted(epochs)));
        ((ObjectNode) study.get("variants").get("imbalance")).put("sampling", variantSampling);
        return study;
    }

    @Test
    void aStudyFolderFromBeforeResumesWithTheOldOrTheNewStudyFile(@TempDir Path dir) throws Exception {
        Path stored = dir.resolve("study.json");
        Json.MAPPER.writeValue(stored.toFile(), studyJsonOf02(20, "class-balanced"));
        StudyConfig nested = StudyConfig.read(Path.of("docs/examples/study-cxr-imbalance.json"));
        StudyConfig flat = StudyConfig.read(FLAT.resolve("study-cxr-imbalance.json"));

        assertThat(Json.MAPPER.readValue(stored.toFile(), StudyConfig.class).train()).isEqualTo(nested.train())
                .isEqualTo(flat.train());
        StudySettingsCheck.requireSame(nested, stored);
        StudySettingsCheck.requireSame(flat, stored);

        // other settings are still refused, named by their nested field
        Json.MAPPER.writeValue(stored.toFile(), studyJsonOf02(21, "shuffle"));
        assertThatThrownBy(() -> StudySettingsCheck.requireSame(nested, stored)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("train.optimisation.epochs 21 -> 20")
                .hasMessageContaining("variants.imbalance");
    }

    @Test
    void theStudyJsonARunWritesNowReadsBackEqual(@TempDir Path dir) throws Exception {
        StudyConfig config = StudyConfig.read(Path.of("docs/examples/study-cxr-imbalance.json"));
        Path stored = dir.resolve("study.json");
        Json.MAPPER.writeValue(stored.toFile(), config);

        assertThat(Json.MAPPER.readTree(stored.toFile()).get("train").get("optimisation").get("epochs").asInt())
                .isEqualTo(20);
        assertThat(Json.MAPPER.readValue(stored.toFile(), StudyConfig.class).train()).isEqualTo(config.train());
        StudySettingsCheck.requireSame(config, stored);
    }

    @Test
    void aVariantMayNotSetWhatTheGridSetsInEitherForm(@TempDir Path dir) throws Exception {
        for (String variant : List.of("{\"method\": {\"name\": \"hkd\"}}", "{\"method\": \"hkd\"}")) {
            ObjectNode study = (ObjectNode) Json.MAPPER.readTree(Path.of("docs/examples/study-cxr-imbalance.json").toFile());
            ((ObjectNode) study.get("variants")).set("imbalance", Json.MAPPER.readTree(variant));
            Path file = dir.resolve("study.json");
            Json.MAPPER.writeValue(file.toFile(), study);
            String written = variant.contains("name") ? "method.name" : "method";
            assertThatThrownBy(() -> StudyConfig.read(file)).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("variant 'imbalance' sets " + written + ", which the grid sets per cell");
        }
    }
}
