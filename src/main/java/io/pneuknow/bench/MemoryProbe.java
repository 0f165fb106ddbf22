package io.pneuknow.bench;

import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainingJvm;
import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by the bench, so that its figures belong to one training run alone (not to the earlier
 * measurements of the bench's own JVM), and so that it starts under the race's {@link LaunchConditions} as the peer
 * does (its allocator, threads and CPUs). Arguments: mode, data folder, architecture, input size, threads, epochs,
 * output folder.
 *
 * <ul>
 *   <li>{@code BASELINE}, {@code HKD}: our side of the race, a {@link TrainTimer} run of that method for the epochs;
 *       prints {@code seconds <s> <s> ...} (every epoch of the final stage), {@code source <text>},
 *       {@code engine_threads <n>} and {@code VmHWM_kB <n>}.</li>
 *   <li>{@code peak}: baseline training (Adam, batch 16) for the epochs; prints {@code VmHWM_kB <n>} and
 *       {@code peak_breakdown key=value ...} (the memory at its highest VmRSS, {@link PeakBreakdown}) and, with
 *       tcmalloc, {@code malloc_peak_breakdown key=value ...} (at the most bytes in malloc blocks).</li>
 *   <li>{@code leak}: HKD (one teacher epoch, then the student for the epochs); after each student
 *       epoch prints {@code epoch <i> rss_kB <n> heap_bytes <n>} (heap in use after a GC request).</li>
 * </ul>
 *
 * <p>{@link #inChildJvm} is the bench's side: it starts this class and returns its output and tree memory.
 */
public final class MemoryProbe {
    private MemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path data = Path.of(args[1]);
        String arch = args[2];
        int size = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        int epochs = Integer.parseInt(args[5]);
        Path out = Path.of(args[6]);
        BenchData bench = BenchData.load(data, size);
        if (mode.equals(TrainingMethods.BASELINE.name()) || mode.equals(TrainingMethods.HKD.name())) {
            TrainTimer.StageTimes times = TrainTimer.run(Bench.trainConfig(mode, arch, size, threads, epochs), bench,
                    out, null).get(TrainingMethods.of(mode).finalStage());
            StringBuilder line = new StringBuilder("seconds");
            for (double x : times.seconds()) {
                line.append(' ').append(x);
            }
            System.out.println(line);
            System.out.println("source " + times.source());
            System.out.println("engine_threads " + ai.djl.pytorch.jni.JniUtils.getNumThreads());
            System.out.println("VmHWM_kB " + ProcMemory.peakRssKb());
        } else if (mode.equals("peak")) {
            PeakBreakdown breakdown = PeakBreakdown.start();
            TrainTimer.run(Bench.trainConfig(TrainingMethods.BASELINE.name(), arch, size, threads, epochs), bench, out, null);
            PeakBreakdown.Peaks at = breakdown.stop();
            System.out.println("VmHWM_kB " + ProcMemory.peakRssKb());
            if (at.atRss() != null) {
                System.out.println("peak_breakdown " + at.atRss().line());
            }
            if (at.atMalloc() != null) {
                System.out.println("malloc_peak_breakdown " + at.atMalloc().line());
            }
        } else if (mode.equals("leak")) {
            TrainConfig config = Bench.trainConfig(TrainingMethods.HKD.name(), arch, size, threads, epochs);
            TrainTimer.run(config, bench, out, (stage, epoch) -> {
                if (stage.equals(TrainingMethods.HKD.finalStage())) {
                    long heap = ProcMemory.heapAfterGc();
                    System.out.println("epoch " + epoch + " rss_kB " + ProcMemory.rssKb() + " heap_bytes " + heap);
                    System.out.flush();
                }
            });
        } else {
            throw new IllegalArgumentException("mode must be peak or leak: " + mode);
        }
        System.out.flush();
        System.exit(0);
    }

    /**
     * Runs the probe in a child JVM with the options of a training JVM ({@link TrainingJvm}, as `pneuknow train` gets
     * them from the launcher), then this JVM's class path and heap settings ({@code -Xm*}), under the conditions, at
     * the run's thread count, its log in the work folder ({@code probe-NAME.log}); its output lines and tree memory.
     */
    static ChildRun.Result inChildJvm(BenchRun run, LaunchConditions conditions, String name, String mode, Path dataDir,
                                      String model, int size, int epochs, Path out) throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(TrainingJvm.OPTIONS);
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Xm") || arg.startsWith("-Dai.djl")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                MemoryProbe.class.getName(), mode, dataDir.toString(), model, Integer.toString(size),
                Integer.toString(s.threads()), Integer.toString(epochs), out.toString()));
        Path log = s.work().resolve("probe-" + name + ".log");
        ChildRun.Result r = ChildRun.run(command, conditions, log, run.timeout());
        if (r.exitCode() == 124) {
            throw new IOException("the " + name + " probe timed out; log in " + log);
        }
        if (r.exitCode() != 0) {
            List<String> lines = r.output().lines().toList();
            throw new IOException("the " + name + " probe failed (exit " + r.exitCode() + "): "
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
        return r;
    }

    /** The value after {@code key} on the output line that starts with it; null when there is none. */
    static String value(ChildRun.Result r, String key) {
        return r.output().lines().filter(l -> l.startsWith(key + " ")).reduce((a, b) -> b)
                .map(l -> l.substring(key.length() + 1).strip()).orElse(null);
    }
}
