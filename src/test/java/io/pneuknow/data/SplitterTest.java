package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SplitterTest {
    /** Three unbalanced classes: 40 "common" patients with 1-3 images, 12 "rare", 3 "tiny", and one patient in two classes. */
    static Dataset unbalanced() {
        List<Sample> samples = new ArrayList<>();
        for (int p = 0; p < 40; p++) {
            for (int i = 0; i <= p % 3; i++) {
                samples.add(sample("c" + p + "_" + i, "common", "pc" + p));
            }
        }
        for (int p = 0; p < 12; p++) {
            samples.add(sample("r" + p, "rare", "pr" + p));
        }
        for (int p = 0; p < 3; p++) {
            samples.add(sample("t" + p, "tiny", "pt" + p));
        }
        samples.add(sample("m_common", "common", "mixed"));
        samples.add(sample("m_tiny", "tiny", "mixed"));
        return new Dataset(Path.of("/data"), List.of("common", "rare", "tiny"), samples);
    }

    static Sample sample(String imageId, String className, String patient) {
        int index = List.of("common", "rare", "tiny").indexOf(className);
        return new Sample(imageId, Path.of("/data/" + imageId + ".png"), className, index, patient, List.of(), Map.of());
    }

    @Test
    void kFoldAssignsEveryImageOnceAndKeepsPatientsTogether() {
        Dataset dataset = unbalanced();

        Split split = Splitter.kFold(dataset, 5, 42);

        assertThat(split.parts()).containsExactly("0", "1", "2", "3", "4");
        assertThat(split.partOfImage().keySet())
                .isEqualTo(dataset.samples().stream().map(Sample::imageId).collect(Collectors.toSet()));
        assertThat(Split.patientsInSeveralParts(dataset, split.partOfImage())).isEmpty();
        assertThat(split.partOf("m_common")).isEqualTo(split.partOf("m_tiny"));
    }

    @Test
    void kFoldBalancesEachClass() {
        Dataset dataset = unbalanced();

        Split split = Splitter.kFold(dataset, 5, 7);

        // 81 common images (16.2 per fold, patients of up to 3 images), 12 rare (2.4 per fold).
        for (String fold : split.parts()) {
            List<Sample> inFold = split.samples(dataset, fold);
            long common = inFold.stream().filter(s -> s.className().equals("common")).count();
            long rare = inFold.stream().filter(s -> s.className().equals("rare")).count();
            assertThat(common).as("common images in fold " + fold).isBetween(14L, 19L);
            assertThat(rare).as("rare images in fold " + fold).isBetween(2L, 3L);
        }
    }

    @Test
    void sameSeedSameSplitOtherSeedOtherSplit() {
        Dataset dataset = unbalanced();

        assertThat(Splitter.kFold(dataset, 5, 1)).isEqualTo(Splitter.kFold(dataset, 5, 1));
        assertThat(Splitter.kFold(dataset, 5, 1).partOfImage()).isNotEqualTo(Splitter.kFold(dataset, 5, 2).partOfImage());
        assertThat(Splitter.holdOut(dataset, 3)).isEqualTo(Splitter.holdOut(dataset, 3));
        assertThat(Splitter.holdOut(dataset, 3).partOfImage()).isNotEqualTo(Splitter.holdOut(dataset, 4).partOfImage());
    }

    @Test
    void holdOutFollowsTheShares() {
        Dataset dataset = unbalanced();

        Split split = Splitter.holdOut(dataset, 11);

        assertThat(split.parts()).containsExactly("train", "val", "test");
        assertThat(Split.patientsInSeveralParts(dataset, split.partOfImage())).isEmpty();
        Map<String, Long> common = split.samples(dataset, "train").stream()
                .collect(Collectors.groupingBy(Sample::className, Collectors.counting()));
        assertThat(common.get("common")).isBetween(55L, 59L); // 0.7 * 81 = 56.7
        assertThat(common.get("rare")).isBetween(8L, 9L); // 0.7 * 12 = 8.4
        assertThat(split.samples(dataset, "val").stream().filter(s -> s.className().equals("common")).count())
                .isBetween(11L, 13L); // 0.15 * 81 = 12.15
        assertThat(split.samples(dataset, "test").stream().filter(s -> s.className().equals("rare")).count())
                .isBetween(1L, 2L);
    }

    @Test
    void zeroShareGetsNoImages() {
        Split split = Splitter.holdOut(unbalanced(), 0.8, 0, 0.2, 5);

        assertThat(split.partOfImage().values()).doesNotContain("val");
    }

    @Test
    void warnsWhenAClassHasFewerPatientsThanParts() {
        Dataset dataset = unbalanced();

        assertThat(Splitter.kFold(dataset, 5, 1).warnings(dataset)).containsExactly(
                "class 'tiny' has 4 patients, fewer than the 5 parts; some parts have no tiny images");
        assertThat(Splitter.kFold(dataset, 4, 1).warnings(dataset)).isEmpty();
    }

    @Test
    void rejectsBadArguments() {
        Dataset dataset = unbalanced();

        assertThatThrownBy(() -> Splitter.kFold(dataset, 1, 0)).isInstanceOf(BadInputException.class).hasMessageContaining("k=1");
        assertThatThrownBy(() -> Splitter.holdOut(dataset, 0.7, 0.2, 0.2, 0))
                .isInstanceOf(BadInputException.class).hasMessageContaining("0.7/0.2/0.2 must be non-negative and sum to 1");
    }

    @Test
    void patientsOfSeveralClassesFollowTheirRarestClass() {
        Dataset dataset = unbalanced();

        for (long seed = 0; seed < 20; seed++) {
            Split split = Splitter.kFold(dataset, 3, seed);
            Set<String> tinyFolds = dataset.samples().stream().filter(s -> s.className().equals("tiny"))
                    .map(s -> split.partOf(s.imageId())).collect(Collectors.toSet());
            assertThat(tinyFolds).as("seed " + seed).hasSize(3); // 4 tiny patients spread over all 3 folds
        }
    }
}
