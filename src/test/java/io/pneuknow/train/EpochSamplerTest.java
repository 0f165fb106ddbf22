package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.data.Sample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EpochSamplerTest {
    /** Items with the given number of samples per class (labels 0, 1, ...); sample indices from 100 on. */
    static List<BatchLoader.Item> items(int... perClass) {
        List<BatchLoader.Item> out = new ArrayList<>();
        int index = 100;
        for (int c = 0; c < perClass.length; c++) {
            for (int i = 0; i < perClass[c]; i++) {
                Sample s = new Sample("s" + index, Path.of("s" + index + ".png"), "c" + c, c, "p" + index, List.of(),
                        Map.of());
                PreparedSample p = new PreparedSample(index++, s, null, null);
                out.add(new BatchLoader.Item(p, p));
            }
        }
        return out;
    }

    static List<String> draws(List<BatchLoader.Item> order) {
        return order.stream().map(i -> i.sample().index() + "#" + i.occurrence()).toList();
    }

    @Test
    void classBalancedDrawsEachClassEquallyOftenAndEachImageOfAClassEquallyOften() {
        List<BatchLoader.Item> train = items(60, 10, 5, 3); // 78 images, 77% of them class 0
        int epochs = 200;
        int[] perClass = new int[4];
        Map<Integer, Integer> perImage = new HashMap<>();
        for (int epoch = 0; epoch < epochs; epoch++) {
            List<BatchLoader.Item> order = EpochSampler.order(train, true, 42, 0, epoch);
            assertThat(order).hasSize(train.size());
            for (BatchLoader.Item item : order) {
                perClass[item.sample().label()]++;
                perImage.merge(item.sample().index(), 1, Integer::sum);
            }
        }
        double draws = (double) epochs * train.size(); // 15600; sd of a class share 0.0035
        for (int c = 0; c < 4; c++) {
            assertThat(perClass[c] / draws).as("class %d", c).isCloseTo(0.25, within(0.02));
        }
        // within class 3 (3 images): each about 1/12 of all draws (1300), sd about 35
        for (int index = 175; index < 178; index++) {
            assertThat(perImage.get(index) / draws).as("image %d", index).isCloseTo(0.25 / 3, within(0.01));
        }
        // within class 0 (60 images): each about 1/240 of all draws (65)
        for (int index = 100; index < 160; index++) {
            assertThat(perImage.getOrDefault(index, 0)).as("image %d", index).isBetween(30, 110);
        }
    }

    @Test
    void onlyClassesPresentAreDrawn() {
        List<BatchLoader.Item> train = new ArrayList<>(items(20, 0, 4));
        int[] perClass = new int[3];
        for (int epoch = 0; epoch < 100; epoch++) {
            EpochSampler.order(train, true, 7, 2, epoch).forEach(i -> perClass[i.sample().label()]++);
        }
        assertThat(perClass[1]).isZero();
        assertThat(perClass[0] / 2400.0).isCloseTo(0.5, within(0.04));
        assertThat(perClass[2] / 2400.0).isCloseTo(0.5, within(0.04));
    }

    @Test
    void drawsDependOnSeedStageAndEpochOnly() {
        List<BatchLoader.Item> train = items(30, 5, 2);
        List<String> first = draws(EpochSampler.order(train, true, 42, 2, 5));
        // the same (seed, stage, epoch) gives the same draws, whatever was drawn before (as on resume)
        EpochSampler.order(train, true, 42, 2, 4);
        assertThat(draws(EpochSampler.order(train, true, 42, 2, 5))).isEqualTo(first);
        assertThat(draws(EpochSampler.order(new ArrayList<>(train), true, 42, 2, 5))).isEqualTo(first);
        assertThat(draws(EpochSampler.order(train, true, 42, 2, 6))).isNotEqualTo(first);
        assertThat(draws(EpochSampler.order(train, true, 43, 2, 5))).isNotEqualTo(first);
        assertThat(draws(EpochSampler.order(train, true, 42, 1, 5))).isNotEqualTo(first);
    }

    @Test
    void repeatsAreNumberedAndGetTheirOwnAugmentationDraw() {
        List<BatchLoader.Item> train = items(30, 2);
        List<BatchLoader.Item> order = EpochSampler.order(train, true, 42, 0, 0);
        Map<Integer, Integer> seen = new HashMap<>();
        Set<Integer> drawIndices = new HashSet<>();
        for (BatchLoader.Item item : order) {
            int before = seen.merge(item.sample().index(), 1, Integer::sum) - 1;
            assertThat(item.occurrence()).isEqualTo(before);
            assertThat(item.roiSource()).isSameAs(item.sample());
            if (before == 0) {
                // a first draw augments as without repeats
                assertThat(item.drawIndex()).isEqualTo(item.sample().index());
            } else {
                assertThat(item.drawIndex()).isNegative();
            }
            drawIndices.add(item.drawIndex());
        }
        // the two class-1 images fill about half of the 32 draws: every draw has its own augmentation
        assertThat(seen.get(130) + seen.get(131)).isGreaterThan(10);
        assertThat(drawIndices).hasSize(order.size());
    }

    @Test
    void shuffleIsTheSeededPermutationUsedBefore() {
        List<BatchLoader.Item> train = items(30, 5, 2);
        List<BatchLoader.Item> order = EpochSampler.order(train, false, 42, 2, 5);
        List<BatchLoader.Item> expected = new ArrayList<>(train);
        Collections.shuffle(expected, new Random(Schedules.mix(42, 2, 5, 1)));
        assertThat(order).containsExactlyElementsOf(expected);
        assertThat(order).containsExactlyInAnyOrderElementsOf(train).isNotEqualTo(train);
        assertThat(order).allSatisfy(i -> assertThat(i.occurrence()).isZero());
    }
}
