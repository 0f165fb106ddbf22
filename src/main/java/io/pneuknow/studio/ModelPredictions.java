package io.pneuknow.studio;

import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.StoredPrediction;
import io.pneuknow.api.Classifier;
import io.pneuknow.api.FilePrediction;
import io.pneuknow.api.ImagePrediction;
import io.pneuknow.image.GreyImage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The served model's predictions of the database's images ({@code pneuknow studio --model}). A background thread
 * predicts every image the database holds no prediction of this model for, in batches of {@value #BATCH}, and
 * stores each batch as it is done ({@link AnnotationStore#putPredictions}), so a restart goes on where it stopped
 * and a prediction is made once per model and image. It prints plain progress lines ("predicted N of M images")
 * and one line per image it skips (its file missing or unreadable); nothing it meets stops the server. The model's
 * identity is its model.json id (the first 12 hex digits of its weights' SHA-256).
 *
 * <p>For an image with lesion regions it also stores where the predicted class's Grad-CAM heat lies against them
 * ({@link HeatShares}: the share of the heat inside, the share of the image they cover), which the reviewer's
 * disagreement flag reads; Grad-CAM runs only for those images, one at a time (the JVM's one gradient tape). The
 * heat maps the page overlays, and the shares again when regions change, come from {@link #heat()}.
 */
public final class ModelPredictions implements AutoCloseable {
    /** Images predicted in one forward pass and stored in one transaction. */
    public static final int BATCH = 16;

    private final Classifier classifier;
    private final Path modelDir;
    private final AnnotationStore store;
    private final Path dataDir;
    private final PrintStream progress;
    private final Thread worker;
    private volatile boolean running;
    private volatile boolean stopping;
    private final AtomicInteger skipped = new AtomicInteger();
    private final ModelHeat heat;

    private ModelPredictions(Classifier classifier, Path modelDir, AnnotationStore store, Path dataDir, PrintStream progress) {
        this.classifier = classifier;
        this.modelDir = modelDir.toAbsolutePath().normalize();
        this.store = store;
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.progress = progress;
        this.heat = new ModelHeat(modelDir, store, this.dataDir, modelId(), progress);
        this.worker = new Thread(this::predictMissing, "studio-predictions");
        this.worker.setDaemon(true);
    }

    /**
     * Opens the model directory (a {@code BadInputException} names what is wrong with it) for predicting the store's
     * images, whose files are relative to {@code dataDir}; nothing is predicted until {@link #start()}.
     */
    public static ModelPredictions open(Path modelDir, AnnotationStore store, Path dataDir, PrintStream progress) {
        return new ModelPredictions(Classifier.open(modelDir), modelDir, store, dataDir, progress);
    }

    /** Starts predicting in the background and returns at once. */
    public void start() {
        running = true;
        worker.start();
    }

    /** The model's id, under which its predictions are stored. */
    public String modelId() {
        String id = classifier.card().id();
        return id != null ? id : classifier.card().weightsSha256();
    }

    /** The folder the model was opened from. */
    public Path modelDir() {
        return modelDir;
    }

    /** The model's class names, in label order. */
    public List<String> classes() {
        return classifier.classes();
    }

    /** The model's heat maps on demand, and the heat shares' refresh when an image's regions change. */
    public ModelHeat heat() {
        return heat;
    }

    /** How many images this run skipped so far: their file missing or unreadable. */
    public int skipped() {
        return skipped.get();
    }

    /** Whether the background thread is still predicting. */
    public boolean running() {
        return running;
    }

    /**
     * Stops the background thread after the batch in hand and frees the model's native memory. The thread is asked,
     * not interrupted: an interrupt inside a database write would close H2's file channel under it.
     */
    @Override
    public void close() {
        stopping = true;
        heat.close();
        try {
            if (worker.isAlive()) {
                worker.join(60_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!worker.isAlive()) {
            classifier.close(); // a worker still inside a forward pass keeps the model: freeing it under it would crash
        }
    }

    private void predictMissing() {
        try {
            String modelId = modelId();
            List<ImageEntry> missing = store.imagesWithoutPrediction(modelId);
            AnnotationStore.PredictionProgress before = store.predictionProgress(modelId);
            AtomicInteger predicted = new AtomicInteger(before.predicted());
            int total = before.images();
            progress.printf("model %s: %d of %d images predicted already, %d to predict%n", modelId, before.predicted(),
                    total, missing.size());
            List<ImageEntry> present = new ArrayList<>();
            List<Path> files = new ArrayList<>();
            for (ImageEntry image : missing) {
                Path file = fileIn(dataDir, image);
                if (file != null) {
                    present.add(image);
                    files.add(file);
                } else {
                    skipped.incrementAndGet();
                    progress.printf("image %s skipped: its file %s is not in the data folder%n", image.id(), image.file());
                }
            }
            AtomicInteger next = new AtomicInteger();
            classifier.predictFiles(files, BATCH, 1, batch -> {
                if (stopping) {
                    throw new StopRequested();
                }
                List<StoredPrediction> stored = new ArrayList<>();
                for (FilePrediction outcome : batch) {
                    ImageEntry image = present.get(next.getAndIncrement());
                    if (!outcome.readable()) {
                        skipped.incrementAndGet();
                        progress.printf("image %s skipped: %s%n", image.id(), outcome.error());
                        continue;
                    }
                    stored.add(withHeatShares(image, outcome));
                }
                predicted.addAndGet(store.putPredictions(modelId, stored));
                progress.printf("predicted %d of %d images%n", predicted.get(), total);
            });
        } catch (InterruptedException | StopRequested e) {
            progress.println("predictions stopped");
        } catch (RuntimeException e) {
            progress.println("predictions stopped: " + e.getMessage());
        } finally {
            running = false;
        }
    }

    /**
     * The prediction to store: with its heat shares when the image has lesion regions now (Grad-CAM of the predicted
     * class), else without.
     */
    private StoredPrediction withHeatShares(ImageEntry image, FilePrediction outcome) {
        ImagePrediction prediction = outcome.prediction();
        String label = prediction.predictedClass();
        double probability = prediction.probabilities()[prediction.predictedIndex()];
        GreyImage pixels = outcome.image().image();
        GreyImage mask = HeatShares.lesionMask(store.regions(image.id()), pixels.width(), pixels.height(), dataDir);
        if (mask == null) {
            return new StoredPrediction(image.id(), label, probability);
        }
        return HeatShares.of(image.id(), label, probability, classifier.heatMap(pixels, prediction.predictedIndex()), mask);
    }

    /** The image's file when it lies inside the data folder and exists; null otherwise (the image is skipped). */
    static Path fileIn(Path dataDir, ImageEntry image) {
        Path file = dataDir.resolve(image.file()).normalize();
        return file.startsWith(dataDir) && Files.isRegularFile(file) ? file : null;
    }

    /** Ends {@link Classifier#predictFiles} between batches when the studio closes. */
    private static final class StopRequested extends RuntimeException {
        StopRequested() {
            super("the studio is closing", null, false, false);
        }
    }
}
