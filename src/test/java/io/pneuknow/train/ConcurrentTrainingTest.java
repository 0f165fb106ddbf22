package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two trainings started on two threads of one JVM give the weights each gives alone: the engine's
 * random generator and thread count are process-wide, so the second waits for the first (and says so).
 */
class ConcurrentTrainingTest {
    private static final String WAITING = "waiting for another training in this JVM to finish";

    @Test
    void twoTrainingsOnTwoThreadsGiveTheWeightsOfEachAlone(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(32, 4, 2, 1, 0, 0.7, 5));
        Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")));
        Split split = Split.fromColumn(dataset, "split");
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                split.samples(dataset, Split.TEST));
        // dropout draws from the engine's generator during training, so a reseed by the other run would show
        TrainConfig a = TrainConfig.builder().method("baseline").architecture("tiny_cnn").inputSize(32).dropout(0.5f)
                .epochs(1).batchSize(4).augment("none").seed(11).threads(1).build();
        TrainConfig b = a.toBuilder().seed(12).threads(2).build();

        String aloneA = train(a, dataset, parts, dir.resolve("alone-a"), new ByteArrayOutputStream());
        String aloneB = train(b, dataset, parts, dir.resolve("alone-b"), new ByteArrayOutputStream());
        assertThat(aloneA).isNotEqualTo(aloneB);

        // the test holds the lease, so both trainings must wait for it: then they run one after the other
        ByteArrayOutputStream logA = new ByteArrayOutputStream();
        ByteArrayOutputStream logB = new ByteArrayOutputStream();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        Future<String> together1;
        Future<String> together2;
        try (EngineThreads.Lease held = EngineThreads.exclusive(1, new PrintStream(PrintStream.nullOutputStream()))) {
            together1 = threads.submit(() -> train(a, dataset, parts, dir.resolve("together-a"), logA));
            together2 = threads.submit(() -> train(b, dataset, parts, dir.resolve("together-b"), logB));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!(text(logA).contains(WAITING) && text(logB).contains(WAITING)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        try {
            assertThat(together1.get()).isEqualTo(aloneA);
            assertThat(together2.get()).isEqualTo(aloneB);
        } finally {
            threads.shutdownNow();
        }
        assertThat(text(logA)).startsWith(WAITING);
        assertThat(text(logB)).startsWith(WAITING);
    }

    /** Trains and returns the SHA-256 of the saved weights. */
    private static String train(TrainConfig config, Dataset dataset, TrainRun.Parts parts, Path out,
                                ByteArrayOutputStream log) throws Exception {
        TrainRun.Provenance provenance = new TrainRun.Provenance(null, "synthetic", "synthetic", "test");
        return new TrainRun(config, new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(dataset, parts, provenance, out, false).model().weightsSha256();
    }

    private static String text(ByteArrayOutputStream log) {
        synchronized (log) {
            return log.toString(StandardCharsets.UTF_8);
        }
    }
}
