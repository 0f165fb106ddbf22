package io.pneuknow.cli;

/** Engine settings that must be made before the engine starts. */
final class EngineSetup {
    private EngineSetup() {
    }

    /** Sets the PyTorch intra-op thread count (0: all cores) and one inter-op thread. */
    static void threads(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.offline", "true");
    }
}
