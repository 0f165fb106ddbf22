package io.pneuknow.serve;

import io.javalin.http.Context;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The limits on image requests: the upload's declared length (413), the requests in flight (503 {@code busy}
 * with Retry-After; a slot is taken only once the upload's body has arrived, so a slow upload holds none) and the
 * time per request (503 {@code timeout}), whose decoding and model work runs on a thread of its own while the
 * request thread waits. That work is a sequence of stages (decode, forward, heat map) with a
 * {@link #checkpoint(String)} before each: once the request has timed out (or the server is stopping) the work
 * thread is interrupted and the next stage is not started (an ImageIO decode in progress is aborted too). Before
 * its work starts a request reserves its estimated memory in the process-wide {@link MemoryBudget} (503
 * {@code memory_busy} or 413 {@code over_memory_budget} otherwise); the work thread gives it back when the work
 * really ends, so a request answered 503 {@code timeout} whose forward pass still runs keeps it.
 */
final class RequestLimits {
    /**
     * Thrown on a request's work thread at a {@link #checkpoint(String)} when its request has ended: the stage it
     * names is not started.
     */
    static final class Stopped extends RuntimeException {
        private final String stage;

        Stopped(String stage) {
            super("stopped before " + stage, null, false, false);
            this.stage = stage;
        }

        /** The stage that was not started. */
        String stage() {
            return stage;
        }
    }

    private final long maxUploadBytes;
    private final int maxInFlight;
    private final Duration requestTimeout;
    private final Semaphore inFlight;
    private final MemoryBudget budget;
    private final Runnable beforeModel;
    private final PrintStream accessLog;
    private final ExecutorService work = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "pneuknow-request");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param beforeModel run before each image request's model work (tests: a slow or blocked step)
     * @param accessLog where work stopped at a checkpoint is noted (one line, with the request id and the stage)
     * @param budget the memory budget each request's work reserves its estimate in
     */
    RequestLimits(long maxUploadBytes, int maxInFlight, Duration requestTimeout, Runnable beforeModel,
                  PrintStream accessLog, MemoryBudget budget) {
        this.budget = budget;
        this.accessLog = accessLog;
        this.maxUploadBytes = maxUploadBytes;
        this.maxInFlight = maxInFlight;
        this.requestTimeout = requestTimeout;
        this.beforeModel = beforeModel;
        this.inFlight = new Semaphore(maxInFlight);
    }

    /**
     * Refuses an image request whose declared length is over the upload limit (with room for the form's other
     * parts), before its body is read.
     */
    void checkDeclaredLength(Context ctx) {
        if (ctx.contentLength() > maxUploadBytes + (1 << 16)) {
            throw new ApiException(413, "too_large", "upload of " + ctx.contentLength()
                    + " bytes exceeds the limit of " + maxUploadBytes + " bytes; send a smaller image");
        }
    }

    /**
     * Lets an image request whose upload has arrived in: refuses it when every in-flight permit is taken; otherwise
     * it holds a permit until {@link #release(Context)}. Called after the body is read, so an upload still
     * arriving holds no permit.
     */
    void admit(Context ctx) {
        if (!inFlight.tryAcquire()) {
            ctx.header("Retry-After", "1");
            throw new ApiException(503, "busy", "the service is busy (" + maxInFlight
                    + " image requests in flight); retry in a second");
        }
        RequestAttributes.holdPermit(ctx);
    }

    /** Gives back the request's in-flight permit, if it holds one. */
    void release(Context ctx) {
        if (RequestAttributes.takePermit(ctx)) {
            inFlight.release();
        }
    }

    /**
     * Runs an image request's decoding and model work off the request thread and waits for it until the
     * request's time is up, then answers 503 {@code timeout}; the work is interrupted, but a forward pass
     * already running finishes (the engine cannot stop it) and only then returns its model copy. First reserves
     * {@code cost} in the memory budget (throws 503 {@code memory_busy} or 413 {@code over_memory_budget} when it
     * does not fit); the reservation is given back when the work ends (also after a timeout answer), or at once
     * when the work never started.
     */
    <T> T withinTime(Context ctx, MemoryBudget.Cost cost, Callable<T> task) {
        Long started = RequestAttributes.started(ctx);
        long left = requestTimeout.toNanos() - (System.nanoTime() - (started == null ? System.nanoTime() : started));
        String requestId = RequestAttributes.requestId(ctx);
        MemoryBudget.Reservation reservation = reserve(ctx, cost);
        AtomicBoolean begun = new AtomicBoolean(); // set once by the work, or by this thread when the work never began
        Future<T> future;
        try {
            future = work.submit(() -> {
                if (!begun.compareAndSet(false, true)) {
                    throw new Stopped("decode");
                }
                try {
                    beforeModel.run();
                    return task.call();
                } catch (Stopped e) {
                    accessLog.println(Instant.now() + " request " + requestId + " ended (timed out or stopping): its "
                            + e.stage() + " was not started");
                    throw e;
                } finally {
                    reservation.close();
                }
            });
        } catch (RejectedExecutionException e) {
            reservation.close();
            throw new ApiException(503, "interrupted", "the server is stopping; retry later");
        }
        try {
            return future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            stopWork(future, begun, reservation);
            throw new ApiException(503, "timeout", "the request took longer than the limit of "
                    + seconds(requestTimeout) + "; retry later, or with a smaller image");
        } catch (InterruptedException e) {
            stopWork(future, begun, reservation);
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted", "the server is stopping; retry later");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Stopped) { // interrupted while this thread still waited: the server is stopping
                throw new ApiException(503, "interrupted", "the server is stopping; retry later");
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Reserves a request's memory, with Retry-After on a 503. */
    private MemoryBudget.Reservation reserve(Context ctx, MemoryBudget.Cost cost) {
        try {
            return budget.reserve(cost);
        } catch (ApiException e) {
            if (e.status == 503) {
                ctx.header("Retry-After", "1");
            }
            throw e;
        }
    }

    /**
     * Interrupts a request's work; gives its reservation back here only when the work never began (a work that
     * began gives it back itself when it ends).
     */
    private static void stopWork(Future<?> future, AtomicBoolean begun, MemoryBudget.Reservation reservation) {
        future.cancel(true);
        if (begun.compareAndSet(false, true)) {
            reservation.close();
        }
    }

    /** The process-wide memory budget. */
    MemoryBudget budget() {
        return budget;
    }

    /**
     * Called on a request's work thread before each stage ({@code "decode"}, {@code "forward"},
     * {@code "heat map"}): throws {@link Stopped} when the request has ended (its work thread was interrupted).
     */
    static void checkpoint(String stage) {
        if (Thread.currentThread().isInterrupted()) {
            throw new Stopped(stage);
        }
    }

    /** Interrupts the work still running (the server is stopping). */
    void stop() {
        work.shutdownNow();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
