package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The leak check: resident memory and heap after GC over the HKD student's epochs in a child JVM
 * ({@link MemoryProbe}); issue 7's targets of no native and no heap growth.
 */
final class LeakBench {
    /** Growth from the third to the last epoch allowed for resident memory (MiB, or 2 % if larger) and heap (MiB, or 5 %). */
    static final double LEAK_RSS_MIB = 16;
    static final double LEAK_HEAP_MIB = 8;
    static final int LEAK_SKIP_EPOCHS = 2;

    private LeakBench() {
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
        String slopes = String.format(Locale.ROOT, "slope %.2f MiB/epoch over all %d epochs", Stats.slope(rss), rss.length);
        report.row("leak.rss.first", "leak check: resident memory after student epoch 1", "MiB", rss[0],
                "child JVM, HKD (teacher forward + student step)");
        report.row("leak.rss.last", "leak check: resident memory after student epoch " + rss.length, "MiB",
                rss[rss.length - 1], slopes);
        report.row("leak.heap.first", "leak check: heap after GC, student epoch 1", "MiB", heap[0], null);
        report.row("leak.heap.last", "leak check: heap after GC, student epoch " + heap.length, "MiB",
                heap[heap.length - 1], String.format(Locale.ROOT, "slope %.3f MiB/epoch", Stats.slope(heap)));
        int from = Math.min(LEAK_SKIP_EPOCHS, rss.length - 1);
        // resident memory: the floor of the later half of the epochs after the skipped ones against the floor of
        // the earlier half (tcmalloc hands cached blocks back in bursts, so single epochs swing by 100 MiB while a
        // leak raises the floor); the heap after GC is steady, so its last epoch is compared with the third
        int middle = from + (rss.length - from) / 2;
        double earlierFloor = min(rss, from, middle);
        double rssGrowth = min(rss, middle, rss.length) - earlierFloor;
        double heapGrowth = heap[heap.length - 1] - heap[from];
        StringBuilder series = new StringBuilder(slopes).append("; per epoch:");
        for (double r : rss) {
            series.append(' ').append(Math.round(r));
        }
        report.target("target.leak.native", "no native growth: lowest resident memory of student epochs " + (middle + 1)
                + "-" + rss.length + " minus that of epochs " + (from + 1) + "-" + middle + " (MiB)", rssGrowth, "<=",
                Math.max(LEAK_RSS_MIB, 0.02 * earlierFloor), series.toString());
        report.target("target.leak.heap", "no heap growth: heap after GC, student epoch " + (from + 1) + " to "
                + heap.length + " (MiB)", heapGrowth, "<=", Math.max(LEAK_HEAP_MIB, 0.05 * heap[from]), null);
    }

    private static double min(double[] values, int from, int to) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = from; i < to; i++) {
            m = Math.min(m, values[i]);
        }
        return m;
    }
}
