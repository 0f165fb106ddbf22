package io.pneuknow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.evaluate.Evaluation;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.explain.Agreement;
import io.pneuknow.explain.HeatMaps;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.serve.TinyModel;
import io.pneuknow.transform.RoiMask;
import io.pneuknow.transform.RoiShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny trained model evaluated through the library API, its figures checked against independent computations. */
class EvaluatorTest {
    @TempDir
    static Path dir;

    private static TinyModel tiny;
    private static Dataset dataset;
    private static Split split;
    private static Evaluation evaluation;

    @BeforeAll
    static void evaluate() {
        tiny = TinyModel.train(dir);
        // 12 test images (4 per class), 9 validation images; the lesions as the expert's regions
        dataset = DatasetLoader.load(DataSpec.of(tiny.data()).withRegionsCsv(tiny.data().resolve("regions.csv"))
                .withRegionTypes("lesion"));
        split = SplitCsv.read(tiny.model().resolve("split.csv"), dataset);
        evaluation = Evaluator.builder().part("test").replicates(200).seed(3).calibrate(true)
                .overlays(dir.resolve("out"), 2).threads(2).build().evaluate(tiny.model(), dataset, split);
    }

    @Test
    void accuracyIsTheShareOfReturnedPredictionsWhoseTopClassIsTheTrueOne() {
        List<Prediction> predictions = evaluation.predictions();
        assertThat(predictions).hasSize(12);
        assertThat(evaluation.images()).isEqualTo(12);
        long right = predictions.stream().filter(p -> p.predictedClass() == p.trueClass()).count();
        assertThat(evaluation.metrics().get("accuracy").estimate()).isEqualTo(right / 12.0);
        // balanced accuracy by hand: the mean over the three classes (4 test images each) of their recall
        double recalls = 0;
        for (int c = 0; c < 3; c++) {
            int cls = c;
            recalls += predictions.stream().filter(p -> p.trueClass() == cls && p.predictedClass() == cls).count() / 4.0;
        }
        assertThat(evaluation.metrics().get("balanced_accuracy").estimate()).isCloseTo(recalls / 3, within(1e-12));
        assertThat(predictions).extracting(Prediction::imageId).containsExactlyElementsOf(
                split.samples(dataset, Split.TEST).stream().map(Sample::imageId).toList());
    }

    @Test
    void nineValidationImagesAreTooFewForATemperature() {
        assertThat(evaluation.calibration().validationImages()).isEqualTo(9);
        assertThat(evaluation.calibration().notApplied())
                .isEqualTo("only 9 validation images, fewer than the 30 a temperature fit needs");
        assertThat(evaluation.temperature()).isEqualTo(1.0);
    }

    @Test
    void localisationEnergyIsTheMeanOfGradCamEnergiesComputedDirectly() throws Exception {
        double sum = 0;
        int scored = 0;
        int annotated = 0;
        try (ModelBundle.Loaded loaded = ModelBundle.load(tiny.model())) {
            HeatMaps heat = new HeatMaps(loaded);
            for (Sample s : split.samples(dataset, Split.TEST)) {
                if (!s.annotated()) {
                    continue;
                }
                annotated++;
                GreyImage image = ImageFiles.read(s.file());
                GreyImage mask = RoiMask.build(s, image.width(), image.height(), 0, RoiShape.MASK, ImageFiles::readMask);
                GreyImage map = heat.gradCam(image, s.classIndex());
                if (Agreement.undefined(map, mask).isEmpty()) {
                    sum += Agreement.scores(map, mask).energy();
                    scored++;
                }
            }
        }
        assertThat(annotated).isEqualTo(8);
        var localisation = evaluation.localisation();
        assertThat(localisation.annotatedImages()).isEqualTo(scored);
        assertThat(localisation.annotatedImages() + localisation.undefined().size()).isEqualTo(8);
        assertThat(localisation.energy().estimate()).isCloseTo(sum / scored, within(1e-12));
        assertThat(localisation.overlays()).hasSize(Math.min(2, scored));
        for (String png : localisation.overlays()) {
            assertThat(dir.resolve("out").resolve(png)).isRegularFile();
        }
        assertThat(localisation.heatMap()).isEqualTo("grad-cam of the true class at the last feature map");
    }

    @Test
    void provenanceNamesTheModelWeightsTheSettingsAndTheData() throws Exception {
        Evaluation.Provenance p = evaluation.provenance();
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(tiny.model().resolve(ModelBundle.WEIGHTS))));
        assertThat(p.modelSha256()).isEqualTo(sha);
        assertThat(p.modelId()).isEqualTo(evaluation.modelCard().id());
        assertThat(p.part()).isEqualTo("test");
        assertThat(p.seed()).isEqualTo(3);
        assertThat(p.replicates()).isEqualTo(200);
        assertThat(p.dataFingerprint()).matches("[0-9a-f]{64}");
        assertThat(p.versions()).containsKey("pneuknow");
        assertThat(evaluation.bootstrap()).isEqualTo(new Evaluation.BootstrapSettings(200, 3, "patient"));
    }

    @Test
    void jsonHasTheKeysOfEvaluationJsonAndLeavesPredictionsAndProvenanceOut() {
        var json = Json.MAPPER.valueToTree(evaluation);
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("model", "part", "images", "patients", "temperature", "calibration",
                "trainingPrior", "bootstrap", "metrics", "perPatient", "operatingPoints", "subgroups", "localisation",
                "modelCard");
        assertThat(json.get("trainingPrior").isNull()).isTrue();
        assertThat(json.get("model").get("path").asText()).isEqualTo(tiny.model().toAbsolutePath().toString());
    }

    @Test
    void badOptionsAreRefusedWithTheirValue() {
        assertThatThrownBy(() -> Evaluator.builder().part("fold3")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'fold3'");
        assertThatThrownBy(() -> Evaluator.builder().specificity(1.5).build()).isInstanceOf(BadInputException.class)
                .hasMessageContaining("specificity 1.5");
        assertThatThrownBy(() -> Evaluator.builder().heatStage(16).replicates(0).build()
                .evaluate(tiny.model(), dataset, split)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("--heat-stage 16 must be 0 (the last feature map) or 1..15");
        // a model trained on shuffled batches without class weights already carries the training prior
        assertThatThrownBy(() -> Evaluator.builder().trainingPrior(true).replicates(0).build()
                .evaluate(tiny.model(), dataset, split)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("did not learn a uniform class prior");
    }
}
