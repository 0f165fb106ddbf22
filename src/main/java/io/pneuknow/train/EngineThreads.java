package io.pneuknow.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.pneuknow.model.TorchLogLevel;

/** The engine's thread count, part of what makes a run repeatable. */
public final class EngineThreads {
    private EngineThreads() {
    }

    /**
     * Sets the PyTorch intra-op thread count (0: all cores), also when the engine is already
     * running (as in tests): the same seed gives the same weights only at the same thread count.
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
}
