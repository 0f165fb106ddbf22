package io.pneuknow.bench;

import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Peak memory of training, ours against the peer, measured the same way for both (issue 21): the peak of the summed
 * VmRSS of the whole process tree (the peer's DataLoader worker included), sampled while the run goes, under the
 * primary {@link LaunchConditions}; the sum of each process's VmHWM as an upper bound in the note
 * ({@link ProcessTree}). Taken from the throughput runs where the model was raced at the memory size, else from one
 * run of each side (one epoch).
 */
final class PeakMemoryBench {
    private PeakMemoryBench() {
    }

    /**
     * Measures the settings' memory model at the memory size.
     *
     * @param peer the peer script; null to measure ours only
     * @param throughput the throughput runs, reused when the model was raced at the memory size
     */
    static void measure(BenchRun run, PeerScript peer, int classes, ThroughputBench throughput)
            throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        String model = s.memoryModel();
        int size = s.memorySize();
        LaunchConditions conditions = run.primary();
        boolean reuse = size == s.size() && !throughput.oursMemory(model).isEmpty();
        List<ProcessTree.Memory> ours;
        List<ProcessTree.Memory> theirs = List.of();
        String breakdown = null;
        Path dataDir = s.work().resolve("data-" + size);
        if (reuse) {
            run.say("peak memory: " + model + " at " + size + " px, from the throughput runs");
            ours = throughput.oursMemory(model);
            theirs = throughput.peerMemory(model);
        } else {
            run.say("peak memory: " + model + " at " + size + " px (a child JVM and a peer run, one epoch each)");
            BenchData data = Files.exists(dataDir.resolve("labels.csv")) ? BenchData.load(dataDir, size)
                    : BenchData.generate(dataDir, size, s.steps());
            ChildRun.Result probe = MemoryProbe.inChildJvm(run, conditions, "peak", "peak", dataDir.toAbsolutePath(),
                    model, size, 1, s.work().resolve("probe-peak"));
            ours = List.of(probe.memory());
            String line = MemoryProbe.value(probe, "peak_breakdown");
            String mallocLine = MemoryProbe.value(probe, "malloc_peak_breakdown");
            breakdown = line == null ? null : "in our JVM, sampled every " + PeakBreakdown.INTERVAL_MILLIS
                    + " ms, at its highest VmRSS: " + PeakBreakdown.Snapshot.parse(line).describe()
                    + (mallocLine == null ? "" : "; at the most bytes in malloc blocks: "
                    + PeakBreakdown.Snapshot.parse(mallocLine).describe());
            if (peer != null && BenchRun.peerSupports(model)) {
                theirs = List.of(peer.run(run.peerArgs(data, model, TrainingMethods.BASELINE.name(), classes, size, 0, 1),
                        conditions, run.timeout()).memory());
            }
        }
        String label = "peak memory, process tree, training " + model + " " + size + " px batch 16 ["
                + conditions.allocator() + " both sides]";
        double[] oursPeaks = ThroughputBench.peaks(ours);
        if (oursPeaks.length == 0 || !(Stats.median(oursPeaks) > 0)) {
            throw new IOException("no memory sample of our run of " + model + "; logs in " + s.work());
        }
        run.report().row("memory.peak." + model, label + ": ours", "MiB", oursPeaks, ThroughputBench.treeNote(ours)
                + (reuse ? "; the throughput runs" : "; one epoch") + (breakdown == null ? "" : "; " + breakdown));
        if (!theirs.isEmpty()) {
            run.report().row("memory.peak." + model + ".peer", label + ": peer (main process + DataLoader worker)", "MiB",
                    ThroughputBench.peaks(theirs), ThroughputBench.treeNote(theirs)
                            + (reuse ? "; the throughput runs" : "; one epoch"));
        }
    }
}
