package io.pneuknow.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** Engine settings for a command. */
final class EngineSetup {
    private EngineSetup() {
    }

    /**
     * Sets the PyTorch intra-op thread count (0: all cores), also when the engine is already
     * running (as in tests): the same seed gives the same weights only at the same thread count.
     */
    static void threads(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine.getInstance();
        if (JniUtils.getNumThreads() != n) {
            JniUtils.setNumThreads(n);
        }
    }
}
