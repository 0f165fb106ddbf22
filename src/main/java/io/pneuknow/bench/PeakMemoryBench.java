package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Peak resident memory of one training epoch: ours in a child JVM ({@link MemoryProbe}), the peer's from its own run. */
final class PeakMemoryBench {
    private PeakMemoryBench() {
    }

    /**
     * Measures the settings' memory model at the memory size.
     *
     * @param peer the peer script; null to measure ours only
     * @param peerRuns the peer's throughput runs by model, reused when the model and size match
     */
    static void measure(BenchRun run, PeerScript peer, int classes, Map<String, JsonNode> peerRuns)
            throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        String model = s.memoryModel();
        int size = s.memorySize();
        run.say("peak memory: " + model + " at " + size + " px (child JVM)");
        Path dataDir = s.work().resolve("data-" + size);
        BenchData data = Files.exists(dataDir.resolve("labels.csv")) ? BenchData.load(dataDir, size)
                : BenchData.generate(dataDir, size, s.steps());
        long hwm = -1;
        for (String line : MemoryProbe.inChildJvm(run, "peak", dataDir, model, size, 1)) {
            if (line.startsWith("VmHWM_kB ")) {
                hwm = Long.parseLong(line.substring(9).trim());
            }
        }
        if (hwm <= 0) {
            throw new IOException("the memory probe printed no VmHWM; log in " + s.work().resolve("probe-peak.log"));
        }
        run.report().row("memory.peak." + model, "peak resident memory, training " + model + " " + size
                + " px batch 16: ours", "MiB", hwm / 1024.0, "VmHWM of a child JVM running one epoch of TrainRun");
        if (peer != null && BenchRun.peerSupports(model)) {
            JsonNode r = size == s.size() && peerRuns.containsKey(model) ? peerRuns.get(model)
                    : peer.run(run.peerArgs(data, model, TrainingMethods.BASELINE.name(), classes, size, 0, 1),
                    run.timeout());
            run.report().row("memory.peak." + model + ".peer", "peak resident memory, training " + model + " " + size
                    + " px batch 16: peer (main process)", "MiB", r.path("max_rss_kb").asDouble() / 1024.0,
                    String.format(Locale.ROOT, "ru_maxrss; its DataLoader worker: %.0f MiB",
                            r.path("max_rss_children_kb").asDouble() / 1024));
        }
    }
}
