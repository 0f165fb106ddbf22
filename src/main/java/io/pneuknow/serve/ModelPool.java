package io.pneuknow.serve;

import io.pneuknow.explain.HeatMaps;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Copies of one model bundle, each with its own weights in its own NDManager, lent to one thread at a
 * time, so that requests run in parallel without sharing a net. Grad-CAM runs under a gradient tape, of
 * which the engine allows one per JVM, so heat maps are computed one at a time across the pool, and
 * wait for a training running in the same JVM ({@link EngineThreads#gradientTape()}).
 */
public final class ModelPool implements AutoCloseable {
    /** One copy of the model with what runs it. */
    private record Copy(ModelBundle.Loaded model, Predictor predictor, HeatMaps heatMaps) {
    }

    /** Thrown when no copy becomes free in time. */
    public static final class BusyException extends RuntimeException {
        BusyException() {
            super("all model copies are busy");
        }
    }

    private final List<Copy> copies = new ArrayList<>();
    private final BlockingQueue<Copy> idle;
    private final ModelCard card;
    private final long waitMillis;

    /** Loads {@code size} copies of the bundle in {@code dir}; a request waits at most {@code waitMillis} for one. */
    public ModelPool(Path dir, int size, long waitMillis) {
        if (size < 1) {
            throw new IllegalArgumentException("pool size must be at least 1: " + size);
        }
        idle = new ArrayBlockingQueue<>(size);
        this.waitMillis = waitMillis;
        try {
            for (int i = 0; i < size; i++) {
                ModelBundle.Loaded loaded = ModelBundle.load(dir);
                Copy copy = new Copy(loaded, new Predictor(loaded), new HeatMaps(loaded));
                copies.add(copy);
                idle.add(copy);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        card = copies.get(0).model().card();
    }

    public ModelCard card() {
        return card;
    }

    public int size() {
        return copies.size();
    }

    /** Softmax probabilities for one image, in the order of the model's labels. */
    public float[] probabilities(GreyImage image) {
        Copy copy = borrow();
        try {
            return copy.predictor().probabilities(List.of(image))[0];
        } finally {
            idle.add(copy);
        }
    }

    /** Grad-CAM of a class on the last feature map, at feature resolution, ReLU and divided by its maximum (all zero when nothing is positive). */
    public float[][] heatMap(GreyImage image, int classIndex) {
        Copy copy = borrow();
        try {
            float[][] map;
            try (EngineThreads.Lease tape = EngineThreads.gradientTape()) {
                map = copy.heatMaps().rawGradCam(image, classIndex);
            }
            float max = 0;
            for (float[] row : map) {
                for (float v : row) {
                    max = Math.max(max, v);
                }
            }
            for (float[] row : map) {
                for (int x = 0; x < row.length; x++) {
                    row[x] = max > 0 && row[x] > 0 ? row[x] / max : 0f;
                }
            }
            return map;
        } finally {
            idle.add(copy);
        }
    }

    /**
     * A map from {@link #heatMap} at {@code width x height}, each cell drawn at its receptive field's
     * centre ({@link HeatMaps#toImage(float[][], int, int, int)}; the first call per copy measures
     * where that is, with a gradient pass, so it holds the engine lease).
     */
    public GreyImage heatImage(float[][] map, int width, int height) {
        Copy copy = borrow();
        try {
            try (EngineThreads.Lease tape = EngineThreads.gradientTape()) {
                HeatMaps heat = copy.heatMaps();
                return heat.toImage(map, heat.backboneStages(), width, height);
            }
        } finally {
            idle.add(copy);
        }
    }

    /**
     * Where {@link #heatImage} puts the centres of a {@code rows x columns} map's cells on a
     * {@code width x height} image: {x of each column, y of each row}, in pixels (pixel centres are integers).
     */
    public double[][] heatCentres(int rows, int columns, int width, int height) {
        Copy copy = borrow();
        try {
            try (EngineThreads.Lease tape = EngineThreads.gradientTape()) {
                HeatMaps heat = copy.heatMaps();
                int stage = heat.backboneStages();
                return new double[][] {heat.cellCentres(stage, width, columns), heat.cellCentres(stage, height, rows)};
            }
        } finally {
            idle.add(copy);
        }
    }

    private Copy borrow() {
        try {
            Copy copy = idle.poll(waitMillis, TimeUnit.MILLISECONDS);
            if (copy == null) {
                throw new BusyException();
            }
            return copy;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusyException();
        }
    }

    @Override
    public void close() {
        for (Copy copy : copies) {
            copy.model().close();
        }
    }
}
