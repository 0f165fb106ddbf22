package io.pneuknow.evaluate;

import static io.pneuknow.evaluate.Fixtures.ABC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class BootstrapTest {
    private static final Function<List<Prediction>, Double> ACCURACY = p -> Metrics.of(p, ABC).accuracy();

    /** {@code images} images over {@code images / 2} patients, 3 classes, about 70% right. */
    static List<Prediction> noisy(int images, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            int truth = random.nextInt(3);
            double[] logits = new double[3];
            for (int k = 0; k < 3; k++) {
                logits[k] = random.nextGaussian() + (k == truth ? 1.5 : 0);
            }
            double[] p = TemperatureScaling.apply(new double[][] {logits}, 1)[0];
            predictions.add(new Prediction("img" + i, "pat" + i / 2, truth, p, Map.of()));
        }
        return predictions;
    }

    @Test
    void deterministicForASeedAndContainsTheEstimate() {
        List<Prediction> predictions = noisy(200, 1);

        Interval first = Bootstrap.patientLevel(predictions, 300, 42, ACCURACY);
        Interval again = Bootstrap.patientLevel(predictions, 300, 42, ACCURACY);
        Interval otherSeed = Bootstrap.patientLevel(predictions, 300, 43, ACCURACY);

        assertThat(again).isEqualTo(first);
        assertThat(otherSeed).isNotEqualTo(first);
        assertThat(first.estimate()).isEqualTo(Metrics.of(predictions, ABC).accuracy());
        assertThat(first.lower()).isLessThan(first.estimate());
        assertThat(first.upper()).isGreaterThan(first.estimate());
        assertThat(first.upper() - first.lower()).isBetween(0.05, 0.3);
        assertThat(first.replicates()).isEqualTo(300);
        assertThat(first.validReplicates()).isEqualTo(300);
    }

    @Test
    void everyReplicateConsistsOfWholePatients() {
        List<Prediction> predictions = noisy(60, 2).stream()
                .map(p -> new Prediction(p.imageId(), "pat" + p.imageId().hashCode() % 7, p.trueClass(),
                        p.probabilities(), Map.of()))
                .toList();
        Map<String, List<String>> imagesOfPatient = new HashMap<>();
        predictions.forEach(p -> imagesOfPatient.computeIfAbsent(p.patientId(), id -> new ArrayList<>()).add(p.imageId()));
        int[] largestCopies = {0};

        // 1.0 when every patient's images all appear equally often and the copies add up to one draw per patient
        Interval wholePatients = Bootstrap.patientLevel(predictions, 200, 7, sample -> {
            Map<String, Integer> copiesOfImage = new HashMap<>();
            sample.forEach(p -> copiesOfImage.merge(p.imageId(), 1, Integer::sum));
            int draws = 0;
            for (List<String> images : imagesOfPatient.values()) {
                int copies = copiesOfImage.getOrDefault(images.get(0), 0);
                if (images.stream().anyMatch(id -> copiesOfImage.getOrDefault(id, 0) != copies)) {
                    return Double.NaN;
                }
                draws += copies;
                largestCopies[0] = Math.max(largestCopies[0], copies);
            }
            return draws == imagesOfPatient.size() ? 1.0 : Double.NaN;
        });

        assertThat(wholePatients.validReplicates()).isEqualTo(200);
        assertThat(largestCopies[0]).isGreaterThan(1);
    }

    /*
     * One patient with 10 identical wrong images, 10 patients with one right image each: accuracy 10/20.
     * Resampling images, about 20 independent draws: interval width about 4 * sqrt(0.25 / 20) = 0.45.
     * Resampling patients, the bad patient is drawn 0, 1, 2... times out of 11: accuracy 1, 0.5, 0.31...
     */
    @Test
    void patientLevelIntervalIsWiderThanImageLevelForCorrelatedImages() {
        List<Prediction> byPatient = new ArrayList<>();
        List<Prediction> byImage = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            boolean bad = i < 10;
            int truth = 0;
            int predicted = bad ? 1 : 0;
            byPatient.add(Fixtures.confident("img" + i, truth, predicted, 3));
            Prediction p = byPatient.get(i);
            byPatient.set(i, new Prediction(p.imageId(), bad ? "bad" : "good" + i, truth, p.probabilities(), Map.of()));
            byImage.add(new Prediction(p.imageId(), p.imageId(), truth, p.probabilities(), Map.of()));
        }

        Interval patientLevel = Bootstrap.patientLevel(byPatient, 1000, 3, ACCURACY);
        Interval imageLevel = Bootstrap.patientLevel(byImage, 1000, 3, ACCURACY);

        assertThat(patientLevel.estimate()).isEqualTo(0.5);
        assertThat(imageLevel.estimate()).isEqualTo(0.5);
        assertThat(patientLevel.upper()).isEqualTo(1.0);
        assertThat(patientLevel.lower()).isLessThan(0.25);
        assertThat(patientLevel.upper() - patientLevel.lower())
                .isGreaterThan(1.5 * (imageLevel.upper() - imageLevel.lower()));
    }

    @Test
    void nanReplicatesAreDroppedAndCounted() {
        // class C appears in one patient of 50: about (49/50)^50 = 36% of replicates have no C, so NaN recall
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            predictions.add(Fixtures.confident("img" + i, i == 0 ? 2 : i % 2, i % 2, 3));
        }

        Interval recallC = Bootstrap.patientLevel(predictions, 500, 5, p -> Metrics.of(p, ABC).forClass("C").recall());

        assertThat(recallC.estimate()).isEqualTo(0.0);
        assertThat(recallC.validReplicates()).isBetween(250, 400);
        assertThat(recallC.lower()).isEqualTo(0.0);
        assertThat(recallC.upper()).isEqualTo(0.0);

        Interval none = Bootstrap.patientLevel(predictions, 0, 5, ACCURACY);
        assertThat(none.lower()).isNaN();
        assertThat(none.validReplicates()).isZero();
    }

    @Test
    void pairedDifferenceOfAModelWithItselfIsExactlyZero() {
        List<Prediction> predictions = noisy(100, 4);
        List<Prediction> shuffled = new ArrayList<>(predictions);
        Collections.reverse(shuffled);

        Interval difference = Bootstrap.pairedDifference(predictions, shuffled, 200, 9,
                p -> Metrics.of(p, ABC).macroAuc());

        assertThat(difference).isEqualTo(new Interval(0, 0, 0, 200, 200));
    }

    @Test
    void pairedDifferenceFavoursTheBetterModel() {
        List<Prediction> model = noisy(200, 6);
        List<Prediction> perfect = model.stream()
                .map(p -> Fixtures.confident(p.imageId(), p.trueClass(), p.trueClass(), 3))
                .map(p -> new Prediction(p.imageId(), model.get(Integer.parseInt(p.imageId().substring(3))).patientId(),
                        p.trueClass(), p.probabilities(), Map.of()))
                .toList();

        Interval difference = Bootstrap.pairedDifference(perfect, model, 300, 1, ACCURACY);

        assertThat(difference.estimate()).isEqualTo(1 - Metrics.of(model, ABC).accuracy());
        assertThat(difference.lower()).isGreaterThan(0);
    }

    @Test
    void pairedDifferenceNeedsTheSameImages() {
        List<Prediction> a = noisy(10, 1);
        assertThatThrownBy(() -> Bootstrap.pairedDifference(a, a.subList(0, 9), 10, 1, ACCURACY))
                .isInstanceOf(BadInputException.class).hasMessageContaining("img9 is scored by the first model only");
        assertThatThrownBy(() -> Bootstrap.pairedDifference(a.subList(0, 9), a, 10, 1, ACCURACY))
                .isInstanceOf(BadInputException.class).hasMessageContaining("scored by the second model only");
    }

    @Test
    void metricIntervalsCoverEveryMetricQuickly() {
        List<Prediction> predictions = noisy(600, 8);
        MetricIntervals.of(predictions, ABC, 50, 1); // warm up

        long start = System.nanoTime();
        MetricIntervals intervals = MetricIntervals.of(predictions, ABC, 1000, 11);
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(seconds).as("a generous bound that only catches a pathological slowdown; speed is measured in benchmarks").isLessThan(30.0);
        assertThat(intervals.rows()).hasSize(7 + 5 * 3);
        MetricSet full = Metrics.of(predictions, ABC);
        assertThat(intervals.get("accuracy").estimate()).isEqualTo(full.accuracy());
        assertThat(intervals.get("auc", "B").estimate()).isEqualTo(full.forClass("B").auc());
        for (MetricIntervals.Row row : intervals.rows()) {
            Interval interval = row.interval();
            assertThat(interval.validReplicates()).as(row.metric() + " " + row.className()).isEqualTo(1000);
            if (!row.metric().equals("ece")) { // ECE is biased upward on resamples; its estimate may sit below
                assertThat(interval.estimate()).as(row.metric() + " " + row.className())
                        .isBetween(interval.lower(), interval.upper());
            }
        }
        assertThat(MetricIntervals.of(predictions, ABC, 1000, 11).rows()).isEqualTo(intervals.rows());
    }
}
