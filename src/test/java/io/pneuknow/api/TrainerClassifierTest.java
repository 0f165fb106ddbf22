package io.pneuknow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.Splitter;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trainer and Classifier on a tiny synthetic set: provenance, split.csv, batches, unreadable files, refusals. */
class TrainerClassifierTest {
    @TempDir
    static Path dir;
    static Dataset dataset;
    static TrainedModel model;

    @BeforeAll
    static void train() throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(32, 4, 2, 2, 0, 0.7, 3));
        dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")));
        TrainConfig config = TrainConfig.builder().method("baseline").architecture("tiny_cnn").inputSize(32).epochs(1)
                .batchSize(8).seed(4).threads(1).build();
        model = new Trainer(config).train(dataset, Split.fromColumn(dataset, "split"), dir.resolve("model"));
    }

    @Test
    void aTrainingByProgramRecordsItsProvenanceAndSplit() throws Exception {
        assertThat(model.directory()).isEqualTo(dir.resolve("model"));
        assertThat(model.card().command()).isEqualTo("io.pneuknow.api.Trainer");
        // 3 classes x (4 + 2 + 2) images
        assertThat(model.card().population()).startsWith("24 images of ").endsWith("; classes cavity, healthy, opacity");
        assertThat(model.card().configuration().get("train").get("model").get("architecture").asText()).isEqualTo("tiny_cnn");
        assertThat(model.card().configuration().has("data")).isFalse();
        assertThat(model.testImages()).isEqualTo(6);
        List<String> split = Files.readAllLines(dir.resolve("model/split.csv"));
        assertThat(split).hasSize(25);
        assertThat(split.stream().filter(l -> l.endsWith(",test")).count()).isEqualTo(6);
    }

    @Test
    void filesArePredictedInBatchesInTheOrderGivenAndAnUnreadableOneGetsItsReason() throws Exception {
        Path corrupt = Files.writeString(dir.resolve("corrupt.png"), "not a png");
        Path a = dataset.samples().get(0).file();
        Path b = dataset.samples().get(5).file();
        List<Integer> batchSizes = new ArrayList<>();
        List<FilePrediction> all = new ArrayList<>();
        try (Classifier classifier = Classifier.open(model.directory(), Classifier.Options.DEFAULTS.withHeatMaps(true))) {
            classifier.predictFiles(List.of(a, corrupt, b), 2, 2, batch -> {
                batchSizes.add(batch.size());
                all.addAll(batch);
            });
            assertThat(batchSizes).containsExactly(2, 1);
            assertThat(all).extracting(FilePrediction::file).containsExactly(a, corrupt, b);
            assertThat(all).extracting(FilePrediction::readable).containsExactly(true, false, true);
            assertThat(all.get(1).error()).startsWith(corrupt.toString()).doesNotContain("\n");
            assertThat(all.get(1).prediction()).isNull();
            for (FilePrediction f : List.of(all.get(0), all.get(2))) {
                ImagePrediction p = f.prediction();
                float[] q = p.probabilities();
                assertThat(q[0] + q[1] + q[2]).isCloseTo(1f, within(1e-5f));
                int best = q[1] > q[0] ? (q[2] > q[1] ? 2 : 1) : (q[2] > q[0] ? 2 : 0);
                assertThat(p.predictedIndex()).isEqualTo(best);
                assertThat(p.predictedClass()).isEqualTo(List.of("cavity", "healthy", "opacity").get(best));
                assertThat(p.probability("opacity")).isEqualTo(q[2]);
                assertThat(p.heatMap().width()).isEqualTo(32);
                assertThat(p.heatMap().height()).isEqualTo(32);
                // one image alone gives what it gave in the batch
                ImagePrediction alone = classifier.predict(ImageFiles.read(f.file()));
                for (int c = 0; c < 3; c++) {
                    assertThat(alone.probabilities()[c]).isCloseTo(q[c], within(1e-5f));
                }
            }
            assertThatThrownBy(() -> all.get(0).prediction().probability("pneumothorax"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pneumothorax");
            assertThatThrownBy(() -> classifier.predictFile(corrupt)).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith(corrupt.toString());
        }
    }

    @Test
    void withoutHeatMapsThePredictionHasNone() {
        try (Classifier classifier = model.classifier()) {
            assertThat(classifier.classes()).containsExactly("cavity", "healthy", "opacity");
            assertThat(classifier.predict(ImageFiles.read(dataset.samples().get(1).file())).heatMap()).isNull();
        }
    }

    @Test
    void heatMapsWaitWhileATrainingHoldsTheEngine() throws Exception {
        java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (Classifier classifier = Classifier.open(model.directory(), Classifier.Options.DEFAULTS.withHeatMaps(true))) {
            var image = ImageFiles.read(dataset.samples().get(2).file());
            java.util.concurrent.Future<ImagePrediction> heat;
            try (var training = io.pneuknow.train.EngineThreads.exclusive(1,
                    new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))) {
                heat = thread.submit(() -> classifier.predict(image));
                Thread.sleep(500);
                assertThat(heat.isDone()).as("Grad-CAM ran while a training held the engine").isFalse();
            }
            assertThat(heat.get().heatMap().width()).isEqualTo(32);
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    void refusals() {
        Split noTraining = Splitter.holdOut(dataset, 0, 0.5, 0.5, 1);
        assertThatThrownBy(() -> Trainer.parts(dataset, noTraining)).isInstanceOf(BadInputException.class)
                .hasMessage("the split leaves no training images (12 validation, 12 test); check the split options");
        assertThatThrownBy(() -> Classifier.Options.DEFAULTS.withMinConfidence(1.5)).isInstanceOf(BadInputException.class)
                .hasMessage("minConfidence 1.5: must lie in [0, 1]");
    }
}
