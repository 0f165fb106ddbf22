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
import io.pneuknow.model.ModelCard;
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

    @Test
    void modelJsonRecordsTheTrainingAndValidationImagesByContentAndTheTestIds() throws Exception {
        ModelCard.DataParts parts = ModelBundle.readCard(tiny.model()).parts();
        // 8 / 3 / 4 images per class of three classes
        assertThat(parts.training()).hasSize(24).isSorted()
                .containsExactlyInAnyOrderElementsOf(hashes(split.samples(dataset, Split.TRAIN)));
        assertThat(parts.validation()).hasSize(9).containsExactlyInAnyOrderElementsOf(hashes(split.samples(dataset, Split.VAL)));
        assertThat(parts.testImageIds()).containsExactlyElementsOf(
                split.samples(dataset, Split.TEST).stream().map(Sample::imageId).toList());
        assertThat(parts.training().get(0)).hasSize(16).matches("[0-9a-f]{16}");
    }

    @Test
    void aRenamedCopyOfATrainingImageInTheScoredPartIsRefusedNamingIt() throws Exception {
        Path copy = dir.resolve("data-with-copy");
        try (var files = Files.walk(tiny.data())) {
            for (Path f : files.toList()) {
                Path target = copy.resolve(tiny.data().relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
        Sample trained = split.samples(dataset, Split.TRAIN).get(5);
        Files.copy(trained.file(), copy.resolve("images/renamed.png"));
        String row = Files.readAllLines(copy.resolve("labels.csv")).stream()
                .filter(line -> line.startsWith(trained.imageId() + ",")).findFirst().orElseThrow();
        String[] fields = row.split(",", -1);
        fields[0] = "renamed";
        fields[1] = "images/renamed.png";
        fields[3] = "patient-renamed";
        fields[4] = "test";
        Files.writeString(copy.resolve("labels.csv"), String.join(",", fields) + "\n",
                java.nio.file.StandardOpenOption.APPEND);
        Dataset withCopy = DatasetLoader.load(DataSpec.of(copy).withRegionsCsv(copy.resolve("regions.csv"))
                .withRegionTypes("lesion"));
        Split splitWithCopy = Split.fromColumn(withCopy, "split");
        assertThat(splitWithCopy.samples(withCopy, Split.TEST)).hasSize(13);

        assertThatThrownBy(() -> Evaluator.builder().replicates(0).build().evaluate(tiny.model(), withCopy, splitWithCopy))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(copy.resolve("images/renamed.png") + ": the model in " + tiny.model()
                        + " was trained on this image (its content is that of an image of the model's training part;"
                        + " 1 of the 13 images to score are)")
                .hasMessageEndingWith("evaluate on the model's test part (--part test) or on other data")
                .hasMessageNotContaining("\n");
        // the validation images chose the kept epoch: scoring them is refused too, naming the first one
        Path firstVal = split.samples(dataset, Split.VAL).get(0).file();
        assertThatThrownBy(() -> Evaluator.builder().part("val").replicates(0).build().evaluate(tiny.model(), dataset, split))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(firstVal + ": the model in " + tiny.model() + " was selected on this image (its"
                        + " content is that of an image of the model's validation part; 9 of the 9 images to score are)");
    }

    @Test
    void aModelJsonWithoutPartsIsEvaluatedAsBeforeWithANote() throws Exception {
        Path old = dir.resolve("old-model");
        Files.createDirectories(old);
        try (var files = Files.list(tiny.model())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, old.resolve(f.getFileName()));
            }
        }
        ModelBundle.rewriteCard(old, ModelBundle.readCard(old).withParts(null));
        assertThat(Files.readString(old.resolve(ModelBundle.CARD))).doesNotContain("testImageIds");
        List<String> notes = new ArrayList<>();

        Evaluation e = Evaluator.builder().part("train").replicates(0).notes(notes::add).build()
                .evaluate(old, dataset, split);

        assertThat(e.images()).isEqualTo(24);
        assertThat(notes).containsExactly(old.resolve("model.json") + " records no training or validation images"
                + " (written before they were recorded): could not check that the images scored are not ones the model"
                + " was trained or selected on");
    }

    /** The first 16 hex digits of the SHA-256 of each sample's file, computed here. */
    private static List<String> hashes(List<Sample> samples) throws Exception {
        List<String> out = new ArrayList<>();
        for (Sample s : samples) {
            out.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(s.file())))
                    .substring(0, 16));
        }
        return out;
    }
}
