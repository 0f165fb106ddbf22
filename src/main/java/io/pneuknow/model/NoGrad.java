package io.pneuknow.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A forward pass that records nothing for autograd, on any thread. PyTorch's grad mode is
 * per thread and on by default; DJL switches it off only on the thread that starts the engine and
 * inside a {@code GradientCollector}. Without this, a forward pass in inference mode on any other
 * thread (a server's request threads, a Spark task, a pool) builds the autograd graph of every
 * parameter that requires a gradient: it keeps activations alive, costs time, and a frozen
 * teacher's graph would be walked by the student's backward pass. Closing restores the thread's
 * previous mode, so it nests inside a gradient tape.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;

    private NoGrad() {
        TorchLogLevel.apply();
        this.previous = JniUtils.isGradMode();
        if (previous) {
            JniUtils.setGradMode(false);
        }
    }

    /** Turns recording off on this thread until {@link #close}. */
    public static NoGrad start() {
        return new NoGrad();
    }

    @Override
    public void close() {
        if (previous) {
            JniUtils.setGradMode(true);
        }
    }
}
