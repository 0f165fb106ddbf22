package io.pneuknow.studio;

import io.pneuknow.BadInputException;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.StoredPrediction;
import io.pneuknow.api.Classifier;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The served model's heat maps on demand, one at a time, on a thread of their own ({@code studio-heat}) with a copy
 * of the model opened on first use: Grad-CAM needs the JVM's one gradient tape, so heat maps wait for each other
 * (and for the background predictions' own heat maps), and a request thread never runs one. A request waits for its
 * heat map at most a given time and is then told to come back (the work goes on and its PNG is kept); at most
 * {@value #MAX_WAITING} requests wait at once, the others are told at once that the heat maps are busy. Rendered PNGs
 * are kept in memory, least recently used dropped first, up to {@value #CACHE_BYTES} bytes. The thread also
 * recomputes an image's stored heat shares when its regions change ({@link #regionsChanged}), so the disagreement
 * flag follows the regions as they are drawn.
 */
public final class ModelHeat implements AutoCloseable {
    /** Requests that may wait for a heat map at once. */
    public static final int MAX_WAITING = 16;
    /** The most bytes of rendered PNGs kept. */
    public static final long CACHE_BYTES = 32L << 20;

    /** The heat map is not ready within the wait; it is still being computed. */
    public static final class Pending extends RuntimeException {
        Pending() {
            super("the heat map is still being computed", null, false, false);
        }
    }

    /** Too many requests are waiting for heat maps. */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("too many heat maps asked for at once", null, false, false);
        }
    }

    private final Path modelDir;
    private final AnnotationStore store;
    private final Path dataDir;
    private final String modelId;
    private final PrintStream progress;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "studio-heat");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore waiting = new Semaphore(MAX_WAITING);
    private final Map<String, CompletableFuture<byte[]>> inFlight = new ConcurrentHashMap<>();
    private final Set<String> refreshQueued = ConcurrentHashMap.newKeySet();
    private final LinkedHashMap<String, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedBytes;
    private volatile boolean closing;
    /** Opened on the heat thread on first use; only that thread touches it. */
    private Classifier classifier;

    ModelHeat(Path modelDir, AnnotationStore store, Path dataDir, String modelId, PrintStream progress) {
        this.modelDir = modelDir;
        this.store = store;
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.modelId = modelId;
        this.progress = progress;
    }

    /**
     * The PNG overlay of {@code image}'s heat map (the stored prediction's class, else the predicted one) at
     * {@code side} pixels on its longer side ({@link PixelRendering#heatPng}), waiting at most {@code waitMillis}.
     * Throws {@link Pending} when it is not ready by then, {@link Busy} when too many wait already, a
     * {@link BadInputException} when the image cannot be read.
     */
    public byte[] png(ImageEntry image, Path file, int side, long waitMillis) throws InterruptedException {
        String key = image.id() + "\n" + side;
        byte[] cached = cached(key);
        if (cached != null) {
            return cached;
        }
        if (!waiting.tryAcquire()) {
            throw new Busy();
        }
        try {
            CompletableFuture<byte[]> fresh = new CompletableFuture<>();
            CompletableFuture<byte[]> work = inFlight.putIfAbsent(key, fresh);
            if (work == null) {
                work = fresh;
                try {
                    thread.execute(() -> render(key, image, file, side, fresh));
                } catch (RuntimeException e) { // the studio is closing
                    inFlight.remove(key, fresh);
                    throw e;
                }
            }
            try {
                return work.get(waitMillis, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new Pending();
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new IllegalStateException("heat map of image " + image.id() + " failed: " + e.getCause(), e.getCause());
            }
        } finally {
            waiting.release();
        }
    }

    /** On the heat thread: computes, renders and keeps one PNG, and hands it to whoever waits for it. */
    private void render(String key, ImageEntry image, Path file, int side, CompletableFuture<byte[]> future) {
        try {
            if (closing) {
                throw new IllegalStateException("the studio is closing");
            }
            byte[] png = PixelRendering.heatPng(heatMap(image, file), side);
            remember(key, png);
            future.complete(png);
        } catch (Throwable e) {
            future.completeExceptionally(e);
        } finally {
            inFlight.remove(key, future);
        }
    }

    /**
     * Recomputes, in the background, the stored heat shares of this image's prediction from its regions as they are
     * then (an image without a stored prediction yet is left to the background predictions). Several calls before it
     * runs count once.
     */
    public void regionsChanged(String imageId) {
        if (closing || !refreshQueued.add(imageId)) {
            return;
        }
        thread.execute(() -> {
            refreshQueued.remove(imageId); // a change from now on queues another refresh
            if (closing) {
                return;
            }
            try {
                refresh(imageId);
            } catch (RuntimeException e) {
                progress.printf("image %s: heat shares not updated: %s%n", imageId, e.getMessage());
            }
        });
    }

    /** Waits until the work queued so far is done (for tests); false when it did not end within the time. */
    boolean awaitIdle(long millis) throws InterruptedException {
        CompletableFuture<Void> marker = new CompletableFuture<>();
        thread.execute(() -> marker.complete(null));
        try {
            marker.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    private void refresh(String imageId) {
        ImageEntry image = store.image(imageId).orElse(null);
        StoredPrediction stored = image == null ? null : store.prediction(imageId, modelId).orElse(null);
        if (stored == null) {
            return;
        }
        Path file = dataDir.resolve(image.file()).normalize();
        if (!file.startsWith(dataDir)) {
            return;
        }
        ImageFiles.Dimensions size = ImageFiles.dimensions(file);
        GreyImage mask = HeatShares.lesionMask(store.regions(imageId), size.width(), size.height(), dataDir);
        StoredPrediction now = mask == null ? new StoredPrediction(imageId, stored.label(), stored.probability())
                : HeatShares.of(imageId, stored.label(), stored.probability(), heat(ImageFiles.read(file), stored.label()), mask);
        store.updateHeatShares(imageId, modelId, now.heatInside(), now.regionArea());
    }

    /** On the heat thread: the heat map of the stored prediction's class, else of the class the model predicts. */
    private GreyImage heatMap(ImageEntry image, Path file) {
        GreyImage pixels = ImageFiles.read(file);
        String label = store.prediction(image.id(), modelId).map(StoredPrediction::label).orElse(null);
        return heat(pixels, label);
    }

    private GreyImage heat(GreyImage pixels, String label) {
        if (classifier == null) {
            classifier = Classifier.open(modelDir);
        }
        List<String> classes = classifier.classes();
        int index = label == null ? -1 : classes.indexOf(label);
        if (index < 0) {
            index = classifier.predict(pixels).predictedIndex();
        }
        return classifier.heatMap(pixels, index);
    }

    private synchronized byte[] cached(String key) {
        return cache.get(key);
    }

    private synchronized void remember(String key, byte[] png) {
        if (png.length > CACHE_BYTES) {
            return;
        }
        byte[] old = cache.put(key, png);
        cachedBytes += png.length - (old == null ? 0 : old.length);
        var eldest = cache.entrySet().iterator();
        while (cachedBytes > CACHE_BYTES && eldest.hasNext()) {
            cachedBytes -= eldest.next().getValue().length;
            eldest.remove();
        }
    }

    /**
     * Lets the heat map in hand finish (never interrupted: an interrupt inside a database write would close H2's file
     * channel), drops what is queued, and frees the model copy.
     */
    @Override
    public void close() {
        closing = true;
        thread.shutdown();
        try {
            if (thread.awaitTermination(60, TimeUnit.SECONDS) && classifier != null) {
                classifier.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
