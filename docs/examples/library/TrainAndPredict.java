import io.pneuknow.api.Classifier;
import io.pneuknow.api.Evaluator;
import io.pneuknow.api.ImagePrediction;
import io.pneuknow.api.Trainer;
import io.pneuknow.api.TrainedModel;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.Splitter;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.evaluate.Evaluation;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.Localisation;
import io.pneuknow.explain.Overlays;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.train.TrainConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * PneuKnow as a library, end to end: generate a small synthetic chest X-ray data set with expert
 * regions, load it, split it by patient, train a baseline and an HKD model (the teacher sees the expert's
 * regions, the student learns from it), evaluate each into a typed Evaluation, and predict test images
 * with Grad-CAM heat maps.
 *
 * <p>Run with the PneuKnow jar and its libraries on the class path:
 * {@code java -cp 'target/pneuknow.jar:target/lib/*' docs/examples/library/TrainAndPredict.java OUT [SIZE [PER_CLASS [EPOCHS]]]}
 * (SIZE: image side in pixels, default 64; PER_CLASS: training images per class, default 20; EPOCHS:
 * per stage, default 2). It writes OUT/data, OUT/baseline, OUT/hkd and OUT/heatmaps, and prints one
 * line per model and one per prediction. Progress goes to standard error.
 */
public final class TrainAndPredict {
    private TrainAndPredict() {
    }

    /** Trains both models into {@code args[0]} and predicts the first test images with heat maps. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "library-example");
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int perClass = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        long seed = 1;

        // 1. a data set: images, labels.csv and regions.csv (the expert's boxes), as a user's would be on disk
        Path data = SyntheticChestXrays.generate(out.resolve("data"),
                new SyntheticChestXrays.Spec(size, perClass, perClass / 2, perClass / 2, 0.1, 0.7, seed));
        DataSpec spec = DataSpec.of(data.toAbsolutePath()).withRegionsCsv(Path.of("regions.csv"))
                .withRegionTypes("lesion");
        Dataset dataset = DatasetLoader.load(spec);

        // 2. a split by patient, stratified by class: half to train, a quarter each to validation and test
        Split split = Splitter.holdOut(dataset, 0.5, 0.25, 0.25, seed);

        // 3. the settings: one record, built from the defaults; here a tiny network at a small size
        TrainConfig base = TrainConfig.builder().architecture("tiny_cnn").inputSize(size).dropout(0f)
                .epochs(epochs).teacherEpochs(epochs).kdEpochs(epochs).batchSize(8).augment("weak")
                .seed(seed).threads(1).build();

        PrintStream progress = System.err;
        // 4. the evaluator: patient-level bootstrap intervals (200 replicates here; the CLI's default is 1000)
        Evaluator evaluator = Evaluator.builder().part(Split.TEST).replicates(200).seed(seed).build();
        for (String method : List.of("baseline", "hkd")) {
            Trainer trainer = new Trainer(base.toBuilder().method(method).build(), progress);
            TrainedModel model = trainer.train(dataset, split, out.resolve(method),
                    trainer.provenance(dataset, spec, "docs/examples/library/TrainAndPredict.java"), false);
            System.out.printf(Locale.ROOT, "model %s: test accuracy %.3f on %d images, kept epoch %d, in %s%n", method,
                    model.testAccuracy(), model.testImages(), model.card().checkpoint().epoch() + 1, model.directory());

            // 5. a typed evaluation of the saved model on the test part: metrics with intervals, calibration,
            // Grad-CAM against the expert's regions, and where it all came from
            Evaluation evaluation = evaluator.evaluate(model.directory(), dataset, split);
            Interval accuracy = evaluation.metrics().get("accuracy");
            Localisation localisation = evaluation.localisation();
            System.out.printf(Locale.ROOT, "evaluate %s: %d test images, accuracy %.3f (95%% CI %.3f to %.3f), "
                            + "heat inside the regions %s on %d annotated images; weights %s, data %s%n", method,
                    evaluation.images(), accuracy.estimate(), accuracy.lower(), accuracy.upper(),
                    localisation == null || localisation.energy() == null ? "n/a"
                            : String.format(Locale.ROOT, "%.3f", localisation.energy().estimate()),
                    localisation == null ? 0 : localisation.annotatedImages(),
                    evaluation.provenance().modelSha256().substring(0, 12),
                    evaluation.provenance().dataFingerprint());
        }

        // 6. predictions with heat maps for the first test images, from the saved HKD model
        List<Sample> test = split.samples(dataset, Split.TEST);
        Files.createDirectories(out.resolve("heatmaps"));
        try (Classifier hkd = Classifier.open(out.resolve("hkd"), Classifier.Options.DEFAULTS.withHeatMaps(true))) {
            for (Sample sample : test.subList(0, Math.min(4, test.size()))) {
                GreyImage image = ImageFiles.read(sample.file());
                ImagePrediction p = hkd.predict(image);
                Path overlay = out.resolve("heatmaps").resolve(sample.imageId() + ".png");
                Overlays.write(overlay, image, p.heatMap(), null);
                String probabilities = hkd.classes().stream()
                        .map(c -> String.format(Locale.ROOT, "%s %.6f", c, p.probability(c)))
                        .collect(Collectors.joining(", "));
                System.out.printf(Locale.ROOT, "predict %s: %s (%s; true %s); heat map %dx%d on a %dx%d image; warnings: %s%n",
                        sample.imageId(), p.predictedClass(), probabilities, sample.className(), p.heatMap().width(),
                        p.heatMap().height(), image.width(), image.height(),
                        p.warnings().isEmpty() ? "none" : p.warnings().stream().map(w -> w.code()).collect(Collectors.joining(",")));
            }
        }
    }
}
