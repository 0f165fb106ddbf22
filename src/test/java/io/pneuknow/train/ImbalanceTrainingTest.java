package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.model.ModelCard;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a heavily imbalanced synthetic training set (48 healthy, 6 cavity, 6 opacity images; the
 * validation images balanced, 10 per class), plain training (shuffle, cross-entropy, the epoch
 * with the lowest validation loss) predicts the majority class, while class-balanced sampling
 * with the epoch of the highest validation balanced accuracy does better, for each of two seeds.
 * tiny_cnn at 64 px, 12 epochs of batch 4: about 10 s per seed on two idle cores.
 */
class ImbalanceTrainingTest {
    static final int MAJORITY = 48;
    static final int MINORITY = 6;

    static TrainConfig config(String sampling, String selectBy, long seed) {
        return TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(12).teacherEpochs(1)
                .kdEpochs(0).learningRate(4e-3f).batchSize(4).augment("weak").seed(seed).threads(2).sampling(sampling)
                .selectBy(selectBy).build();
    }

    @Test
    void classBalancedSamplingWithSelectionByBalancedAccuracyBeatsPlainTrainingOnAnImbalancedSet(@TempDir Path dir)
            throws Exception {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (long seed : new long[] {1, 2}) {
            Path data = SyntheticChestXrays.generate(dir.resolve("data" + seed),
                    new SyntheticChestXrays.Spec(64, MAJORITY, 10, 0, 0, SyntheticChestXrays.Spec.CUE_LEVEL, seed));
            Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv"))
                    .withRegionTypes("lesion"));
            Split split = Split.fromColumn(dataset, "split");
            // all healthy training images, the first few of the two other classes
            Map<String, Integer> seen = new HashMap<>();
            List<Sample> train = new ArrayList<>();
            for (Sample s : split.samples(dataset, Split.TRAIN)) {
                if (s.className().equals("healthy") || seen.merge(s.className(), 1, Integer::sum) <= MINORITY) {
                    train.add(s);
                }
            }
            assertThat(train).hasSize(MAJORITY + 2 * MINORITY);
            TrainRun.Parts parts = new TrainRun.Parts(train, split.samples(dataset, Split.VAL), List.of());
            TrainRun.Provenance provenance = new TrainRun.Provenance(null, "synthetic", "synthetic", "test");

            ModelCard plain = new TrainRun(config("shuffle", "loss", seed), quiet)
                    .run(dataset, parts, provenance, dir.resolve("plain" + seed), false).model();
            ModelCard balanced = new TrainRun(config("class-balanced", "balanced-accuracy", seed), quiet)
                    .run(dataset, parts, provenance, dir.resolve("balanced" + seed), false).model();
            System.out.printf(Locale.ROOT, "imbalance seed %d: val balanced accuracy plain %.3f (epoch %d), "
                            + "class-balanced + selection by balanced accuracy %.3f (epoch %d)%n", seed,
                    plain.checkpoint().valBalancedAccuracy(), plain.checkpoint().epoch() + 1,
                    balanced.checkpoint().valBalancedAccuracy(), balanced.checkpoint().epoch() + 1);

            assertThat(balanced.checkpoint().valBalancedAccuracy())
                    .isGreaterThanOrEqualTo(plain.checkpoint().valBalancedAccuracy() + 0.1);
            // each card names its metric, and its kept epoch is that metric's best in the history
            assertThat(plain.checkpoint().selectedBy()).isEqualTo("loss");
            assertThat(balanced.checkpoint().selectedBy()).isEqualTo("balanced-accuracy");
            assertKeptEpochIsTheBest(dir.resolve("plain" + seed), plain, 7, false);
            assertKeptEpochIsTheBest(dir.resolve("balanced" + seed), balanced, 10, true);
        }
    }

    /** The card's kept epoch is the best of the history column (lowest or highest) and the one marked kept. */
    static void assertKeptEpochIsTheBest(Path run, ModelCard card, int column, boolean highest) throws Exception {
        List<String> lines = Files.readAllLines(run.resolve("history-baseline.csv"));
        assertThat(lines.get(0)).isEqualTo(TrainRun.HISTORY_HEADER);
        List<String[]> rows = lines.stream().skip(1).map(l -> l.split(",")).toList();
        assertThat(rows).hasSize(12);
        assertThat(card.checkpoint().epochsTrained()).isEqualTo(12);
        assertThat(card.checkpoint().epochsPlanned()).isEqualTo(12);
        assertThat(card.checkpoint().stoppedEarly()).isFalse();
        int kept = card.checkpoint().epoch();
        double best = Double.parseDouble(rows.get(kept)[column]);
        for (String[] row : rows) {
            double value = Double.parseDouble(row[column]);
            if (highest) {
                assertThat(value).isLessThanOrEqualTo(best);
            } else {
                assertThat(value).isGreaterThanOrEqualTo(best);
            }
            assertThat(row[12]).isEqualTo(row == rows.get(kept) ? "1" : "0");
            assertThat(row[13]).isEqualTo("0");
        }
        // the card carries the kept epoch's validation figures (the CSV rounds to 4 digits)
        assertThat(Double.parseDouble(rows.get(kept)[10])).isCloseTo(card.checkpoint().valBalancedAccuracy(),
                within(1e-4));
        assertThat(Double.parseDouble(rows.get(kept)[11])).isCloseTo(card.checkpoint().valMacroF1(),
                within(1e-4));
    }
}
