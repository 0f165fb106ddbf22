package io.pneuknow.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.pneuknow.model.NoGrad;
import io.pneuknow.model.TorchLogLevel;
import java.io.PrintStream;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine's process-wide state that makes a run repeatable: the thread count, and the right to
 * draw from the engine's random generator. Both belong to the JVM, not to a run: PyTorch has one
 * intra-op thread count and one default random generator per process ({@code Engine.setRandomSeed}
 * seeds it; dropout and the initialisers draw from it). A training therefore holds the
 * {@linkplain #exclusive engine lease} while it runs, so that two trainings in one JVM run one after
 * the other instead of silently reseeding each other's generator and resetting each other's thread count.
 */
public final class EngineThreads {
    /**
     * Held by the training that uses the engine's random generator, thread count and gradient tape now,
     * or by other work on the tape (reentrant).
     */
    private static final ReentrantLock ENGINE = new ReentrantLock(true);

    private EngineThreads() {
    }

    /**
     * Sets the PyTorch intra-op thread count (0: all cores), also when the engine is already
     * running (as in tests): the same seed gives the same weights only at the same thread count.
     * The count is process-wide: call it outside a training only when no training runs in this JVM
     * (a training sets its own count under its {@linkplain #exclusive lease}).
     */
    public static void set(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine.getInstance();
        TorchLogLevel.apply();
        if (JniUtils.getNumThreads() != n) {
            JniUtils.setNumThreads(n);
        }
    }

    /**
     * Takes the JVM-wide engine lease, waiting (and saying so on {@code log}) while another thread
     * holds it, then sets the thread count ({@link #set}) and turns autograd recording off on this
     * thread until the lease is closed (PyTorch's grad mode is per thread and on by default; DJL
     * turns it off only on the thread that started the engine, and a training step's parameter update
     * must not be recorded, so a training on any other thread needs this). The holder may take it
     * again (nested runs); close the lease on the thread that took it, to hand it on.
     */
    public static Lease exclusive(int threads, PrintStream log) {
        if (!ENGINE.tryLock()) {
            log.println("waiting for another training in this JVM to finish (the engine's random generator and"
                    + " thread count are process-wide)");
            log.flush();
            ENGINE.lock();
        }
        try {
            set(threads);
            return new Lease(NoGrad.start());
        } catch (RuntimeException | Error e) {
            ENGINE.unlock();
            throw e;
        }
    }

    /**
     * Takes the engine lease for work that needs the gradient tape outside a training (Grad-CAM),
     * waiting while a training runs; leaves the thread count as it is. Close it on the same thread.
     */
    public static Lease gradientTape() {
        ENGINE.lock();
        try {
            return new Lease(NoGrad.start());
        } catch (RuntimeException | Error e) {
            ENGINE.unlock();
            throw e;
        }
    }

    /** The engine lease of {@link #exclusive} and {@link #gradientTape}: closing it lets the next waiting training start. */
    public static final class Lease implements AutoCloseable {
        private final NoGrad noGrad;
        private boolean open = true;

        private Lease(NoGrad noGrad) {
            this.noGrad = noGrad;
        }

        /** Restores this thread's grad mode and hands the lease on (once; later calls do nothing). */
        @Override
        public void close() {
            if (open) {
                open = false;
                noGrad.close();
                ENGINE.unlock();
            }
        }
    }
}
