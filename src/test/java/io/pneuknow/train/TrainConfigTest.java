package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The typed training settings: defaults, the builder, validation by field, and both JSON forms. */
class TrainConfigTest {
    /** The flat form of PneuKnow 0.2 for these settings: every field under its old name ({@code method} for method.name). */
    static ObjectNode flat(TrainConfig config) {
        ObjectNode nested = Json.MAPPER.valueToTree(config);
        ObjectNode flat = Json.MAPPER.createObjectNode();
        nested.fields().forEachRemaining(concern -> concern.getValue().fields().forEachRemaining(f ->
                flat.set(concern.getKey().equals("method") && f.getKey().equals("name") ? "method" : f.getKey(),
                        f.getValue())));
        return flat;
    }

    /** The settings as written, read back as plain JSON (numbers compare by value, whatever their Java type). */
    static JsonNode written(TrainConfig config) throws Exception {
        return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(config));
    }

    @Test
    void theBuilderStartsFromTheDocumentedDefaults() throws Exception {
        TrainConfig d = TrainConfig.builder().build();

        assertThat(written(d)).isEqualTo(Json.MAPPER.readTree("""
                {"model": {"architecture": "resnet18", "inputSize": 224, "channels": 1, "dropout": 0.5, "pretrained": null},
                 "optimisation": {"epochs": 60, "studentEpochs": null, "teacherEpochs": 20, "learningRate": 0.0001,
                                  "backboneLearningRate": null, "perBatchSchedule": false, "batchSize": 8,
                                  "freezeBackboneEpochs": 0, "patience": 0, "selectBy": "loss", "seed": 42, "threads": 0,
                                  "loaderThreads": 1, "allowNoValidation": false},
                 "imbalance": {"classWeights": false, "sampling": "shuffle", "loss": "cross-entropy", "focalGamma": 2.0},
                 "augmentation": {"augment": "strong"},
                 "method": {"name": "baseline", "teacherInput": "roi", "alpha0": 0.5, "kdEpochs": 40, "roiShape": "mask",
                            "roiMargin": 0, "noFindingClass": "healthy", "unannotated": "exclude",
                            "teacherFraction": 1.0, "regionsKeptFraction": 1.0, "energyWeight": 1.0, "featureNorm": "raw", "featureLevel": "last"}}
                """));
        assertThat(d.learningRate()).isEqualTo(1e-4f);
        assertThat(d).isEqualTo(TrainConfig.defaults()).isSameAs(d.validated());
    }

    @Test
    void eachSetterSetsItsFieldAndNoOther() throws Exception {
        TrainConfig d = TrainConfig.defaults();
        TrainConfig c = d.toBuilder().batchSize(3).method("hkd").alpha0(0.25f).sampling("class-balanced").augment("weak")
                .pretrained("  ").studentEpochs(7).build();

        ObjectNode expected = (ObjectNode) written(d);
        ((ObjectNode) expected.get("optimisation")).put("batchSize", 3).put("studentEpochs", 7);
        ((ObjectNode) expected.get("method")).put("name", "hkd").put("alpha0", 0.25);
        ((ObjectNode) expected.get("imbalance")).put("sampling", "class-balanced");
        ((ObjectNode) expected.get("augmentation")).put("augment", "weak");
        assertThat(written(c)).isEqualTo(expected); // a blank pretrained file is none
        assertThat(c.distills()).isTrue();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.with("baseline", "raw", "tiny_cnn", 5, 0.25, 0.5)).satisfies(w -> {
            assertThat(w.method().name()).isEqualTo("baseline");
            assertThat(w.teacherInput()).isEqualTo("raw");
            assertThat(w.architecture()).isEqualTo("tiny_cnn");
            assertThat(w.seed()).isEqualTo(5);
            assertThat(w.teacherFraction()).isEqualTo(0.25);
            assertThat(w.regionsKeptFraction()).isEqualTo(0.5);
            assertThat(w.batchSize()).isEqualTo(3);
        });
    }

    @Test
    void validationNamesTheNestedFieldOfEachProblem() {
        TrainConfig bad = TrainConfig.builder().batchSize(0).channels(2).augment("medium").method("magic")
                .teacherFraction(1.5).regionsKeptFraction(0).energyWeight(-1f).build();

        assertThatThrownBy(bad::validated).isInstanceOf(BadInputException.class).satisfies(e -> assertThat(
                e.getMessage().lines().toList()).containsExactly(
                "train.method.name 'magic': unknown; use baseline, hkd, energy or hkd-energy",
                "train.model.channels 2: must be 1 or 3",
                "train.optimisation.batchSize 0: must be at least 1",
                "train.augmentation.augment 'medium': unknown; use none, weak or strong",
                "train.method.teacherFraction 1.5: must be in (0, 1]",
                "train.method.regionsKeptFraction 0.0: must be in (0, 1]",
                "train.method.energyWeight -1.0: must be a number of 0 or more (the weight of the energy term; 0 leaves"
                        + " it out of the gradient)"));
        assertThatThrownBy(() -> TrainConfig.builder().energyWeight(Float.NaN).build().validated())
                .hasMessageStartingWith("train.method.energyWeight NaN: must be a number of 0 or more");
        assertThatThrownBy(() -> TrainConfig.builder().architecture("torchscript").build().validated())
                .hasMessage("train.model.architecture torchscript: needs --pretrained FILE, the TorchScript backbone"
                        + " to train (see README)");
    }

    @Test
    void anOldFlatConfigReadsIntoTheNestedRecordsWithANote() throws Exception {
        JsonNode old = Json.MAPPER.readTree("""
                {"method": "hkd", "teacherInput": "raw", "architecture": "resnet18_half", "inputSize": 128,
                 "channels": 1, "dropout": 0.25, "epochs": 20, "studentEpochs": 30, "teacherEpochs": 10, "alpha0": 0.7,
                 "kdEpochs": 15, "learningRate": 0.001, "perBatchSchedule": true, "batchSize": 16, "classWeights": true,
                 "augment": "weak", "roiShape": "box", "roiMargin": 4, "noFindingClass": "", "unannotated": "whole-image",
                 "seed": 3, "threads": 2, "loaderThreads": 2, "annotationFraction": 0.5, "sampling": "class-balanced",
                 "loss": "focal", "focalGamma": 1.5, "selectBy": "macro-f1", "patience": 4, "pretrained": null,
                 "freezeBackboneEpochs": 2, "backboneLearningRate": 0.0001, "allowNoValidation": true}
                """);
        List<String> notes = new ArrayList<>();

        TrainConfig read = TrainConfig.fromJson(old, "config.json: train", notes::add);

        assertThat(written(read)).isEqualTo(Json.MAPPER.readTree("""
                {"model": {"architecture": "resnet18_half", "inputSize": 128, "channels": 1, "dropout": 0.25,
                           "pretrained": null},
                 "optimisation": {"epochs": 20, "studentEpochs": 30, "teacherEpochs": 10, "learningRate": 0.001,
                                  "backboneLearningRate": 0.0001, "perBatchSchedule": true, "batchSize": 16,
                                  "freezeBackboneEpochs": 2, "patience": 4, "selectBy": "macro-f1", "seed": 3,
                                  "threads": 2, "loaderThreads": 2, "allowNoValidation": true},
                 "imbalance": {"classWeights": true, "sampling": "class-balanced", "loss": "focal", "focalGamma": 1.5},
                 "augmentation": {"augment": "weak"},
                 "method": {"name": "hkd", "teacherInput": "raw", "alpha0": 0.7, "kdEpochs": 15, "roiShape": "box",
                            "roiMargin": 4, "noFindingClass": "", "unannotated": "whole-image",
                            "teacherFraction": 1.0, "regionsKeptFraction": 0.5, "energyWeight": 1.0, "featureNorm": "raw", "featureLevel": "last"}}
                """));
        assertThat(read.alpha0()).isEqualTo(0.7f);
        assertThat(notes).containsExactly("config.json: train uses the flat settings of PneuKnow 0.2; read as the nested"
                + " settings (model, optimisation, imbalance, augmentation, method); method is now method.name;"
                + " annotationFraction is now method.regionsKeptFraction (the reference's annotation-fraction control"
                + " is method.teacherFraction). A run writes the nested form");
        // Jackson (a study folder's study.json, a model's model.json) reads it the same, quietly
        assertThat(Json.MAPPER.treeToValue(old, TrainConfig.class)).isEqualTo(read);
        // a flat file that leaves fields out gets the defaults for them
        assertThat(TrainConfig.fromJson(Json.MAPPER.readTree("{\"epochs\": 5}"), "x", n -> { }))
                .isEqualTo(TrainConfig.builder().epochs(5).build());
    }

    @Test
    void aNestedFileWithTheEarlierAnnotationFractionReadsAsTheRegionsKeptShareWithANote() throws Exception {
        JsonNode old = Json.MAPPER.readTree("""
                {"method": {"name": "hkd", "annotationFraction": 0.3}, "optimisation": {"epochs": 4}}
                """);
        List<String> notes = new ArrayList<>();

        TrainConfig read = TrainConfig.fromJson(old, "study.json: train", notes::add);

        assertThat(read).isEqualTo(TrainConfig.builder().method("hkd").epochs(4).regionsKeptFraction(0.3).build());
        assertThat(read.teacherFraction()).isEqualTo(1.0);
        assertThat(notes).containsExactly("study.json: train.method.annotationFraction is now"
                + " method.regionsKeptFraction (the share of annotated images whose regions are kept; the"
                + " reference's annotation-fraction control, the teacher on a share of the images, is"
                + " method.teacherFraction); read as that");
        // Jackson (a study folder's study.json, a model's model.json) reads it the same, quietly
        assertThat(Json.MAPPER.treeToValue(old, TrainConfig.class)).isEqualTo(read);
        // a study variant's override under the earlier name sets the renamed field
        assertThat(TrainConfig.givenPaths(old)).containsEntry("method.regionsKeptFraction", "method.annotationFraction");
        assertThat(TrainConfig.defaults().with(Json.MAPPER.readTree("{\"method\": {\"annotationFraction\": 0.6}}"))
                .regionsKeptFraction()).isEqualTo(0.6);
    }

    @Test
    void writingThenReadingGivesTheSameSettingsInTheNestedForm() throws Exception {
        TrainConfig c = TrainConfig.builder().method("hkd").teacherInput("shuffled-roi").architecture("tiny_cnn")
                .inputSize(64).channels(3).dropout(0.1f).pretrained("w.safetensors").epochs(3).studentEpochs(4)
                .teacherEpochs(2).learningRate(3e-3f).backboneLearningRate(1e-4).perBatchSchedule(true).batchSize(5)
                .freezeBackboneEpochs(1).patience(2).selectBy("balanced-accuracy").seed(9).threads(1).loaderThreads(3)
                .allowNoValidation(true).classWeights(true).sampling("class-balanced").loss("focal").focalGamma(0.5)
                .augment("none").alpha0(0.3f).kdEpochs(2).roiShape("box").roiMargin(2).noFindingClass("normal")
                .unannotated("whole-image").teacherFraction(0.4).regionsKeptFraction(0.75).energyWeight(2.5f).featureNorm("attention").featureLevel("previous").build();
        String written = Json.MAPPER.writeValueAsString(c);
        List<String> notes = new ArrayList<>();

        TrainConfig read = TrainConfig.fromJson(Json.MAPPER.readTree(written), "config.json: train", notes::add);

        assertThat(read).isEqualTo(c);
        assertThat(notes).isEmpty();
        JsonNode tree = Json.MAPPER.readTree(written);
        assertThat(tree.fieldNames()).toIterable()
                .containsExactly("model", "optimisation", "imbalance", "augmentation", "method");
        assertThat(tree.get("optimisation").get("batchSize").asInt()).isEqualTo(5);
        assertThat(tree.get("method").get("name").asText()).isEqualTo("hkd");
        // and the flat form of the same settings reads the same
        assertThat(TrainConfig.fromJson(flat(c), "x", n -> { })).isEqualTo(c);
    }

    @Test
    void unknownFieldsAndWrongValuesAreRefusedByName() throws Exception {
        JsonNode nested = Json.MAPPER.readTree("""
                {"optimisation": {"batchsize": 8, "epochs": "many"}, "augmentation": {"augment": "medium"}}
                """);
        assertThat(TrainConfig.jsonProblems(nested, "s.json: train")).containsExactly(
                "s.json: train.optimisation.batchsize is not a training setting; the optimisation settings are epochs,"
                        + " studentEpochs, teacherEpochs, learningRate, backboneLearningRate, perBatchSchedule, batchSize,"
                        + " freezeBackboneEpochs, patience, selectBy, seed, threads, loaderThreads, allowNoValidation",
                "s.json: train.optimisation.epochs \"many\" is not a whole number",
                "s.json: train.augmentation.augment \"medium\" is not one of none, weak, strong");
        JsonNode flat = Json.MAPPER.readTree("{\"epoch\": 3, \"augment\": \"medium\"}");
        assertThatThrownBy(() -> TrainConfig.fromJson(flat, "s.json: train", n -> { }))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("s.json: train.epoch is not a training setting; the settings are architecture,"
                        + " inputSize, channels, dropout, pretrained, epochs,")
                .hasMessageContaining("s.json: train.augment \"medium\" is not one of none, weak, strong");
        assertThatThrownBy(() -> Json.MAPPER.treeToValue(Json.MAPPER.readTree("{\"model\": {\"size\": 3}}"),
                TrainConfig.class)).hasMessageContaining("train.model.size is not a training setting");
        // a group misspelt: named as a group
        assertThat(TrainConfig.jsonProblems(Json.MAPPER.readTree("{\"optimization\": {\"epochs\": 3}}"), "t"))
                .containsExactly("t.optimization is not a group of training settings; the groups are model,"
                        + " optimisation, imbalance, augmentation, method");
    }

    @Test
    void overridesApplyInEitherFormAndAreComparedBySetting() throws Exception {
        TrainConfig base = TrainConfig.builder().epochs(20).build();
        JsonNode flatOverrides = Json.MAPPER.readTree("{\"sampling\": \"class-balanced\", \"selectBy\": \"macro-f1\"}");
        JsonNode nestedOverrides = Json.MAPPER.readTree(
                "{\"imbalance\": {\"sampling\": \"class-balanced\"}, \"optimisation\": {\"selectBy\": \"macro-f1\"}}");

        TrainConfig expected = base.toBuilder().sampling("class-balanced").selectBy("macro-f1").build();
        assertThat(base.with(flatOverrides)).isEqualTo(expected);
        assertThat(base.with(nestedOverrides)).isEqualTo(expected);
        assertThat(TrainConfig.givenNested(flatOverrides)).isEqualTo(TrainConfig.givenNested(nestedOverrides))
                .isEqualTo(nestedOverrides);
        assertThat(TrainConfig.givenPaths(flatOverrides)).containsEntry("imbalance.sampling", "sampling")
                .containsEntry("optimisation.selectBy", "selectBy").hasSize(2);
        assertThat(TrainConfig.givenPaths(nestedOverrides)).containsEntry("imbalance.sampling", "imbalance.sampling")
                .containsEntry("optimisation.selectBy", "optimisation.selectBy").hasSize(2);
    }
}
