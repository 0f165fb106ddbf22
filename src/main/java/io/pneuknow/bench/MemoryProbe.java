package io.pneuknow.bench;

import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainingMethods;
import java.nio.file.Path;

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
}
