package io.pneuknow.api;

import io.pneuknow.BadInputException;
import io.pneuknow.explain.HeatMaps;
import io.pneuknow.guard.InputGuard;
import io.pneuknow.guard.InputImage;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * A trained model opened for prediction: class probabilities, the predicted class, the input guard's
 * warnings and optionally a Grad-CAM heat map per image; the library's form of {@code pneuknow predict}.
 * Holds the model's native memory until closed. Not thread-safe: one per thread (a server lends copies,
 * as {@code serve.ModelPool} does). Prediction records no autograd graph on any thread and draws
 * nothing from the engine's random generator, but runs at the engine's process-wide thread count
 * ({@code train.EngineThreads#set}). Heat maps need the JVM's one gradient tape: while a training runs
 * in this JVM, a classifier computing heat maps waits for it ({@code EngineThreads#gradientTape}).
 */
public final class Classifier implements AutoCloseable {
    /**
     * How to predict.
     *
     * @param heatMaps whether each prediction carries a Grad-CAM heat map of its predicted class
     * @param minConfidence the input guard warns ({@code low_confidence}) when the largest probability is below this
     */
    public record Options(boolean heatMaps, double minConfidence) {
        /** No heat maps; the guard's default confidence threshold. */
        public static final Options DEFAULTS = new Options(false, InputGuard.DEFAULT_MIN_CONFIDENCE);

        /** Refuses a threshold outside [0, 1]. */
        public Options {
            if (!(minConfidence >= 0 && minConfidence <= 1)) {
                throw new BadInputException("minConfidence " + minConfidence + ": must lie in [0, 1]");
            }
        }

        /** These options with heat maps on or off. */
        public Options withHeatMaps(boolean on) {
            return new Options(on, minConfidence);
        }

        /** These options with another confidence threshold. */
        public Options withMinConfidence(double threshold) {
            return new Options(heatMaps, threshold);
        }
    }

    private final ModelBundle.Loaded model;
    private final Predictor predictor;
    private final InputGuard guard;
    private final HeatMaps heatMaps;
    /** The heat maps of {@link #heatMap}, made on first use when the options asked for none. */
    private HeatMaps explainer;

    private Classifier(ModelBundle.Loaded model, Options options) {
        this.model = model;
        this.predictor = new Predictor(model);
        this.guard = new InputGuard(model.card(), options.minConfidence());
        this.heatMaps = options.heatMaps() ? new HeatMaps(model) : null;
    }

    /** Opens the model directory with the {@linkplain Options#DEFAULTS default options}. */
    public static Classifier open(Path modelDir) {
        return open(modelDir, Options.DEFAULTS);
    }

    /**
     * Opens a model directory written by {@link Trainer} or {@code pneuknow train} (its weights are
     * checked against model.json's hash); a {@link BadInputException} names what is wrong with it.
     */
    public static Classifier open(Path modelDir, Options options) {
        ModelBundle.Loaded loaded = ModelBundle.load(modelDir);
        try {
            return new Classifier(loaded, options);
        } catch (RuntimeException | Error e) {
            loaded.close();
            throw e;
        }
    }

    /** The model's card (model.json): classes, preprocessing, intended use, provenance. */
    public ModelCard card() {
        return model.card();
    }

    /** The model's class names, in label order. */
    public List<String> classes() {
        return model.card().labels();
    }

    /** Predicts one image (no DICOM header: the guard checks size, pixels and confidence). */
    public ImagePrediction predict(GreyImage image) {
        return predict(List.of(new InputImage(image, null))).get(0);
    }

    /** Predicts the images in one forward pass, in the order given. */
    public List<ImagePrediction> predict(List<InputImage> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        float[][] p = predictor.probabilities(images.stream().map(InputImage::image).toList());
        GreyImage[] heat = new GreyImage[images.size()];
        if (heatMaps != null) {
            // Grad-CAM needs the JVM's one gradient tape: it waits while a training (or another heat map) uses it
            try (EngineThreads.Lease tape = EngineThreads.gradientTape()) {
                for (int k = 0; k < images.size(); k++) {
                    heat[k] = heatMaps.gradCam(images.get(k).image(), Predictor.argmax(p[k]));
                }
            }
        }
        List<ImagePrediction> out = new ArrayList<>(images.size());
        for (int k = 0; k < images.size(); k++) {
            out.add(new ImagePrediction(classes(), p[k], Predictor.argmax(p[k]), guard.check(images.get(k), p[k]), heat[k]));
        }
        return out;
    }

    /**
     * The Grad-CAM heat map of class {@code classIndex} for one image, at the image's size, values in [0, 1] (the
     * same map a prediction carries when opened with heat maps, for any class). Takes the JVM's one gradient tape
     * ({@code EngineThreads#gradientTape}): it waits while a training or another heat map uses it.
     */
    public GreyImage heatMap(GreyImage image, int classIndex) {
        if (classIndex < 0 || classIndex >= classes().size()) {
            throw new BadInputException("class index " + classIndex + ": the model has classes 0.." + (classes().size() - 1)
                    + " " + classes());
        }
        if (explainer == null) {
            explainer = heatMaps != null ? heatMaps : new HeatMaps(model);
        }
        try (EngineThreads.Lease tape = EngineThreads.gradientTape()) {
            return explainer.gradCam(image, classIndex);
        }
    }

    /** Reads and predicts one file (PNG, JPEG or DICOM); a {@link BadInputException} names a file it cannot read. */
    public ImagePrediction predictFile(Path file) {
        return predict(List.of(InputImage.read(file))).get(0);
    }

    /**
     * Reads and predicts the files in batches of 16 on up to 4 decoding threads, and returns every
     * outcome in the order given (unreadable files included, with their reason). Keeps every decoded
     * image and heat map: for long lists, use {@link #predictFiles(List, int, int, Consumer)}.
     */
    public List<FilePrediction> predictFiles(List<Path> files) throws InterruptedException {
        List<FilePrediction> all = new ArrayList<>(files.size());
        predictFiles(files, 16, Math.min(4, Runtime.getRuntime().availableProcessors()), all::addAll);
        return all;
    }

    /**
     * Reads and predicts the files in batches of {@code batchSize}, decoding on {@code decodeThreads}
     * threads one batch ahead of the batch being predicted; hands each batch's outcomes, in the order
     * given, to {@code batchDone} before the next batch is predicted (so the images can be written out
     * and let go). A file that cannot be read gets its reason and does not stop the others.
     */
    public void predictFiles(List<Path> files, int batchSize, int decodeThreads,
                             Consumer<List<FilePrediction>> batchDone) throws InterruptedException {
        if (batchSize < 1) {
            throw new BadInputException("batch size " + batchSize + ": must be at least 1");
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, decodeThreads), r -> {
            Thread t = new Thread(r, "decode");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<InputImage>> decoded = new ArrayList<>();
            for (int start = 0; start < files.size(); start += batchSize) {
                int end = Math.min(files.size(), start + batchSize);
                while (decoded.size() < Math.min(files.size(), end + batchSize)) {
                    Path file = files.get(decoded.size());
                    decoded.add(pool.submit(() -> InputImage.read(file)));
                }
                List<Integer> readable = new ArrayList<>();
                List<InputImage> images = new ArrayList<>();
                FilePrediction[] batch = new FilePrediction[end - start];
                for (int i = start; i < end; i++) {
                    try {
                        images.add(decoded.get(i).get());
                        readable.add(i);
                    } catch (ExecutionException e) {
                        batch[i - start] = new FilePrediction(files.get(i), null, null, reason(files.get(i), e.getCause()));
                    }
                    decoded.set(i, null); // let the pixels go
                }
                List<ImagePrediction> predicted = predict(images);
                for (int k = 0; k < images.size(); k++) {
                    int i = readable.get(k);
                    batch[i - start] = new FilePrediction(files.get(i), images.get(k), predicted.get(k), null);
                }
                batchDone.accept(List.of(batch));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** One line: a bad input's own message (first line), else the file and the failure. */
    private static String reason(Path file, Throwable cause) {
        if (cause instanceof BadInputException) {
            String message = cause.getMessage();
            return message == null ? "" : message.lines().findFirst().orElse("");
        }
        return file + ": cannot read (" + cause + ")";
    }

    /** Frees the model's native memory. */
    @Override
    public void close() {
        model.close();
    }
}
