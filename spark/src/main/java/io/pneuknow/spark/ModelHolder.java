package io.pneuknow.spark;

import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One loaded model per executor JVM and model folder, loaded by the first task that needs it and
 * kept for the executor's life. The tasks of an executor share it one forward pass at a time (a
 * loaded net is not for two threads at once); each pass uses the engine's threads.
 */
final class ModelHolder {
    private static final Map<String, ModelHolder> HELD = new ConcurrentHashMap<>();

    private final ModelBundle.Loaded loaded;
    private final Predictor predictor;

    private ModelHolder(Path dir) {
        this.loaded = ModelBundle.load(dir);
        this.predictor = new Predictor(loaded);
    }

    /** The executor's model for {@code dir}, loading it on first use; {@code threads} engine threads (0: all cores) are set then. */
    static ModelHolder get(String dir, int threads) {
        return HELD.computeIfAbsent(Path.of(dir).toAbsolutePath().normalize().toString(), key -> {
            EngineThreads.set(threads);
            return new ModelHolder(Path.of(key));
        });
    }

    /** How many models this JVM holds (for tests). */
    static int held() {
        return HELD.size();
    }

    String weightsSha256() {
        return loaded.card().weightsSha256();
    }

    List<String> labels() {
        return loaded.card().labels();
    }

    synchronized float[][] probabilities(List<GreyImage> images) {
        return predictor.probabilities(images);
    }
}
