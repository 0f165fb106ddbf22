package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The leak check: resident memory and heap after GC over the HKD student's epochs in a child JVM
 * ({@link MemoryProbe}), decided by the trend rule of issue 21, item 3 (docs/benchmarks.md, written before its run):
 * after {@value #WARM_UP_EPOCHS} warm-up epochs, the least-squares slope of the per-epoch values with its 95 % t
 * interval; growth (NOT met) iff the interval lies above the threshold, no growth shown (met) iff below, else
 * inconclusive. A release lowers the slope and a burst widens the interval, so neither makes a leak.
 */
final class LeakBench {
    /** Student epochs left out of the fit: the allocator's caches and the JVM's code grow in them. */
    static final int WARM_UP_EPOCHS = 2;
    /** Slope (MiB per epoch) above which resident memory, and the heap after GC, count as growing. */
    static final double LEAK_RSS_MIB_PER_EPOCH = 4;
    static final double LEAK_HEAP_MIB_PER_EPOCH = 0.5;

    private LeakBench() {
    }

    /** The fitted part of a per-epoch series: the epochs after the warm-up. */
    static double[] fitted(double[] perEpoch) {
        return Arrays.copyOfRange(perEpoch, Math.min(WARM_UP_EPOCHS, perEpoch.length), perEpoch.length);
    }

    /** Runs the settings' leak model for the leak epochs and reports the rows and both targets. */
    static void measure(BenchRun run) throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        BenchReport.Builder report = run.report();
        run.say("leak check: " + s.leakEpochs() + " HKD student epochs of " + s.leakModel() + " at " + s.leakSize()
                + " px (child JVM)");
        Path dataDir = s.work().resolve("leak-data-" + s.leakSize());
        BenchData.generate(dataDir, s.leakSize(), s.leakSteps());
        double[] rss = new double[s.leakEpochs()];
        double[] heap = new double[s.leakEpochs()];
        int seen = 0;
        for (String line : MemoryProbe.inChildJvm(run, run.primary(), "leak", "leak", dataDir, s.leakModel(), s.leakSize(),
                s.leakEpochs(), s.work().resolve("probe-leak")).output().lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 6 && f[0].equals("epoch")) {
                int epoch = Integer.parseInt(f[1]);
                rss[epoch] = Long.parseLong(f[3]) / 1024.0;
                heap[epoch] = Long.parseLong(f[5]) / 1048576.0;
                seen++;
            }
        }
        if (seen != rss.length) {
            throw new IOException("the leak probe reported " + seen + " of " + rss.length + " epochs; log in "
                    + s.work().resolve("probe-leak.log"));
        }
        Stats.SlopeInterval rssTrend = Stats.slopeInterval(fitted(rss));
        Stats.SlopeInterval heapTrend = Stats.slopeInterval(fitted(heap));
        StringBuilder series = new StringBuilder("per epoch:");
        for (double r : rss) {
            series.append(' ').append(Math.round(r));
        }
        report.row("leak.rss.first", "leak check: resident memory after student epoch 1", "MiB", rss[0],
                "child JVM, HKD (teacher forward + student step)");
        report.row("leak.rss.last", "leak check: resident memory after student epoch " + rss.length, "MiB",
                rss[rss.length - 1], series.toString());
        report.row("leak.heap.first", "leak check: heap after GC, student epoch 1", "MiB", heap[0], null);
        report.row("leak.heap.last", "leak check: heap after GC, student epoch " + heap.length, "MiB",
                heap[heap.length - 1], null);
        String epochs = "student epochs " + (WARM_UP_EPOCHS + 1) + "-" + rss.length;
        report.slopeAtMost("target.leak.native", "no native growth: slope of resident memory over " + epochs
                + " (MiB/epoch)", rssTrend, LEAK_RSS_MIB_PER_EPOCH, "MiB/epoch", series.toString());
        report.slopeAtMost("target.leak.heap", "no heap growth: slope of the heap after GC over " + epochs
                + " (MiB/epoch)", heapTrend, LEAK_HEAP_MIB_PER_EPOCH, "MiB/epoch", null);
    }
}
