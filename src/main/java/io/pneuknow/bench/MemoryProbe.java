package io.pneuknow.bench;

import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Run in a child JVM by the bench, so that its memory figures belong to one training run alone
 * (not to the earlier measurements of the bench's own JVM). Arguments: mode, data folder,
 * architecture, input size, threads, epochs, output folder.
 *
 * <ul>
 *   <li>{@code peak}: baseline training (Adam, batch 16) for the epochs; prints {@code VmHWM_kB <n>}.</li>
 *   <li>{@code leak}: HKD (one teacher epoch, then the student for the epochs); after each student
 *       epoch prints {@code epoch <i> rss_kB <n> heap_bytes <n>} (heap in use after a GC request).</li>
 * </ul>
 *
 * <p>{@link #inChildJvm} is the bench's side: it starts this class and returns its output lines.
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
        if (mode.equals("peak")) {
            TrainTimer.run(Bench.trainConfig(TrainingMethods.BASELINE.name(), arch, size, threads, epochs), bench, out, null);
            System.out.println("VmHWM_kB " + ProcMemory.peakRssKb());
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
     * Runs the probe in a child JVM with this JVM's class path and heap settings, at the run's thread count, its log
     * in the work folder ({@code probe-MODE.log}); its output lines.
     */
    static List<String> inChildJvm(BenchRun run, String mode, Path dataDir, String model, int size, int epochs)
            throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Xm") || arg.startsWith("-Dai.djl")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                MemoryProbe.class.getName(), mode, dataDir.toString(), model, Integer.toString(size),
                Integer.toString(s.threads()), Integer.toString(epochs), s.work().resolve("probe-" + mode).toString()));
        Path log = s.work().resolve("probe-" + mode + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        if (!p.waitFor(run.timeout(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            throw new IOException("the " + mode + " probe timed out; log in " + log);
        }
        List<String> lines = Files.readAllLines(log);
        if (p.exitValue() != 0) {
            throw new IOException("the " + mode + " probe failed (exit " + p.exitValue() + "): "
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
        return lines;
    }
}
