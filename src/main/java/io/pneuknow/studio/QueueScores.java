package io.pneuknow.studio;

import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.api.Classifier;
import io.pneuknow.api.FilePrediction;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The class probabilities the model-based queue orders read (uncertainty, disagreement, combination): the model's
 * student on each candidate's full image and, for an HKD model, its teacher ({@code teacher/} in the model's folder)
 * on the same full image. They are computed on a thread of their own ({@code studio-queue}), never on a request's,
 * in batches of {@value ModelPredictions#BATCH} through {@link Classifier#predictFiles} as the served model's
 * predictions are, and kept in memory per model id: a request finds what was computed before, and only images not
 * scored yet (new candidates, or another model) start work. A request waits for the work at most a given time and is
 * then told to come back ({@link Pending}); the work goes on. Images whose file is missing or unreadable are
 * remembered as such and left out of the model-based orders.
 */
final class QueueScores implements AutoCloseable {
    /** The scores are not all ready within the wait; they are still being computed. */
    static final class Pending extends RuntimeException {
        final int done;
        final int total;

        Pending(int done, int total) {
            super("scoring " + done + " of " + total + " images", null, false, false);
            this.done = done;
            this.total = total;
        }
    }

    /**
     * What one model's scores are now.
     *
     * @param student the student's probabilities per image id
     * @param teacher the teacher's probabilities per image id (empty when not asked for or the model has none)
     * @param unreadable images left out: their file missing or unreadable
     */
    record Scores(Map<String, double[]> student, Map<String, double[]> teacher, Set<String> unreadable) {
    }

    /** One model's probabilities so far, and the work in flight for it. */
    private static final class State {
        final String modelId;
        final Map<String, double[]> student = new ConcurrentHashMap<>();
        final Map<String, double[]> teacher = new ConcurrentHashMap<>();
        final Set<String> unreadable = ConcurrentHashMap.newKeySet();
        final AtomicInteger done = new AtomicInteger();
        volatile int total;
        CompletableFuture<Void> work;
        String failure;

        State(String modelId) {
            this.modelId = modelId;
        }
    }

    private final Path dataDir;
    private final PrintStream log;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "studio-queue");
        t.setDaemon(true);
        return t;
    });
    private State state;
    private volatile boolean closing;

    QueueScores(Path dataDir, PrintStream log) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.log = log;
    }

    /** Whether the model folder holds a teacher (an HKD model's {@code teacher/model.json}). */
    static boolean hasTeacher(Path modelDir) {
        return Files.isRegularFile(modelDir.resolve("teacher").resolve("model.json"));
    }

    /**
     * The model's scores of {@code images} (student's; also the teacher's when {@code withTeacher}), waiting at most
     * {@code waitMillis} for those not computed yet. Throws {@link Pending} when they are not ready by then, and an
     * {@link IllegalStateException} naming the cause when the last work for them failed (the next call tries again).
     */
    Scores scores(Path modelDir, String modelId, boolean withTeacher, List<ImageEntry> images, long waitMillis)
            throws InterruptedException {
        CompletableFuture<Void> work;
        State current;
        synchronized (this) {
            if (state == null || !state.modelId.equals(modelId)) {
                state = new State(modelId); // another model: the earlier one's scores are not kept
            }
            current = state;
            if (current.failure != null && current.work == null) {
                String failure = current.failure;
                current.failure = null;
                throw new IllegalStateException("the queue's scores of model " + modelId + " could not be computed: " + failure);
            }
            List<ImageEntry> missing = images.stream().filter(i -> !current.unreadable.contains(i.id())
                    && (!current.student.containsKey(i.id()) || withTeacher && !current.teacher.containsKey(i.id()))).toList();
            if (missing.isEmpty()) {
                return snapshot(current);
            }
            if (current.work == null) {
                current.done.set(0);
                current.total = missing.size();
                CompletableFuture<Void> fresh = new CompletableFuture<>();
                current.work = fresh;
                thread.execute(() -> compute(current, modelDir, withTeacher, missing, fresh));
            }
            work = current.work;
        }
        try {
            work.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new Pending(current.done.get(), current.total);
        } catch (java.util.concurrent.ExecutionException e) {
            // recorded as the state's failure; the next call reports it
        }
        return scores(modelDir, modelId, withTeacher, images, 0);
    }

    private static Scores snapshot(State s) {
        return new Scores(Map.copyOf(s.student), Map.copyOf(s.teacher), Set.copyOf(s.unreadable));
    }

    /** On the queue's thread: the student's (and the teacher's) probabilities of the images, stored as each batch ends. */
    private void compute(State s, Path modelDir, boolean withTeacher, List<ImageEntry> images, CompletableFuture<Void> work) {
        try {
            if (closing) {
                throw new IllegalStateException("the studio is closing");
            }
            List<ImageEntry> present = new ArrayList<>();
            List<Path> files = new ArrayList<>();
            for (ImageEntry image : images) {
                Path file = ModelPredictions.fileIn(dataDir, image);
                if (file == null) {
                    s.unreadable.add(image.id());
                } else {
                    present.add(image);
                    files.add(file);
                }
            }
            int passes = withTeacher ? 2 : 1;
            s.total = present.size() * passes;
            probabilities(modelDir, present, files, s.student, s);
            if (withTeacher) {
                probabilities(modelDir.resolve("teacher"), present, files, s.teacher, s);
            }
            log.printf("queue: model %s scored %d images%s%n", s.modelId, present.size(), withTeacher ? " (student and teacher)" : "");
            finish(s, work, null);
        } catch (Throwable e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            log.printf("queue: model %s not scored: %s%n", s.modelId, message);
            finish(s, work, message);
            work.completeExceptionally(e);
            return;
        }
        work.complete(null);
    }

    private synchronized void finish(State s, CompletableFuture<Void> work, String failure) {
        if (s.work == work) {
            s.work = null;
        }
        s.failure = failure;
    }

    private void probabilities(Path modelDir, List<ImageEntry> images, List<Path> files, Map<String, double[]> into, State s)
            throws InterruptedException {
        try (Classifier classifier = Classifier.open(modelDir)) {
            AtomicInteger next = new AtomicInteger();
            classifier.predictFiles(files, ModelPredictions.BATCH, 1, batch -> {
                if (closing) {
                    throw new IllegalStateException("the studio is closing");
                }
                for (FilePrediction outcome : batch) {
                    ImageEntry image = images.get(next.getAndIncrement());
                    if (!outcome.readable()) {
                        s.unreadable.add(image.id());
                        into.remove(image.id());
                        continue;
                    }
                    float[] p = outcome.prediction().probabilities();
                    double[] copy = new double[p.length];
                    for (int c = 0; c < p.length; c++) {
                        copy[c] = p[c];
                    }
                    into.put(image.id(), copy);
                }
                s.done.addAndGet(batch.size());
            });
        }
    }

    /** Lets the batch in hand finish (never interrupted: the engine's native calls), drops what is queued. */
    @Override
    public void close() {
        closing = true;
        thread.shutdown();
        try {
            thread.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
