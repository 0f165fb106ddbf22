package io.pneuknow.train;

import java.util.List;

/**
 * The JVM options a training process starts with (issue 21, item 3): the launcher (`pneuknow train`, `experiment`,
 * `demo`, `pretrain`, `bench`), the studio's training jobs and the bench's child JVMs add them.
 *
 * <p>Training keeps little on the Java heap (the prepared images, a batch or two) but allocates in bursts when it
 * saves weights (DJL serialises each array through byte arrays). The default collector, G1, answered those bursts by
 * growing the heap: 0.6-1.6 GB committed at the peak of a ResNet-50 run whose live heap was under 0.2 GB, on top of
 * the native memory of the training steps. The serial collector grows the heap only when the live data needs it
 * (after a full collection, to keep 40 % of it free), and a 64 MiB initial heap instead of 1/64 of the machine's
 * memory keeps the young generation small; in a training step the collector then runs about once every ten seconds
 * for a few milliseconds. The maximum heap stays the JVM's default (a quarter of the machine's memory) or what the
 * user sets. A user's own options come after these, so {@code -Xms} given there wins, and a collector given there
 * replaces this one (the launcher leaves these out then).
 */
public final class TrainingJvm {
    /** The options, in order. */
    public static final List<String> OPTIONS = List.of("-XX:+UseSerialGC", "-Xms64m");

    private TrainingJvm() {
    }
}
