package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Whether the machine is idle before a round (issue 21): the 1-minute load average, and the share of the pinned
 * CPUs' time spent busy (not idle, not waiting for I/O) over a short window from {@code /proc/stat} while the bench
 * runs nothing. The decision rests on the busy share: the load average decays over minutes and so still counts the
 * bench's own run of a minute ago; the busy share of the next seconds counts only what else runs.
 *
 * @param loadAverage the 1-minute load average (NaN where unreadable)
 * @param busyShare the pinned CPUs' busy share over the window, 0..1 (NaN where unreadable)
 */
record MachineLoad(double loadAverage, double busyShare) {
    /** Measures over {@code windowMillis} (the bench starts nothing meanwhile). */
    static MachineLoad measure(List<Integer> cpus, long windowMillis) throws InterruptedException {
        long[] before = busyAndTotal(readStat(), cpus);
        Thread.sleep(windowMillis);
        long[] after = busyAndTotal(readStat(), cpus);
        long total = after[1] - before[1];
        double busy = before[1] < 0 || after[1] < 0 || total <= 0 ? Double.NaN : (after[0] - before[0]) / (double) total;
        return new MachineLoad(readLoadAverage(), busy);
    }

    /** Busy and total jiffies of the given CPUs ({@code cpuN} lines of /proc/stat; all CPUs when the list is empty). */
    static long[] busyAndTotal(List<String> stat, List<Integer> cpus) {
        long busy = 0;
        long total = 0;
        boolean any = false;
        for (String line : stat) {
            if (!line.startsWith("cpu")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            String id = f[0].substring(3);
            boolean wanted = cpus.isEmpty() ? id.isEmpty() : !id.isEmpty() && cpus.contains(Integer.parseInt(id));
            if (!wanted) {
                continue;
            }
            any = true;
            long sum = 0;
            // user nice system idle iowait irq softirq steal (guest time is already in user)
            for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
                sum += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            busy += sum - idle;
            total += sum;
        }
        return any ? new long[] {busy, total} : new long[] {-1, -1};
    }

    private static List<String> readStat() {
        try {
            return Files.readAllLines(Path.of("/proc/stat"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static double readLoadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Whether the busy share is above the limit (a share 0..1); false where it could not be read. */
    boolean busierThan(double limit) {
        return !Double.isNaN(busyShare) && busyShare > limit;
    }

    /** "load average 0.12, CPUs 0,1 busy 3 %". */
    String describe(String cpus) {
        return String.format(Locale.ROOT, "load average %.2f, CPUs %s busy %.0f %%", loadAverage, cpus, busyShare * 100);
    }
}
