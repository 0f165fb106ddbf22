package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The reference's annotation-fraction control: the teacher's class-stratified share and its scaled epochs. */
class TeacherShareTest {
    /** Class 0 at positions 0, 2, 3, 6, 7 (5 images), class 1 at 1, 5, 8 (3), class 2 at 4, 9 (2). */
    private static final List<Integer> LABELS = List.of(0, 1, 0, 0, 2, 1, 0, 0, 1, 2);

    @Test
    void halfDrawsRoundedHalfOfEachClass() {
        List<Integer> drawn = TeacherShare.draw(LABELS, 0.5, 42);

        // round(2.5) = 3 of class 0, round(1.5) = 2 of class 1, round(1.0) = 1 of class 2: 6 of 10
        assertThat(drawn).hasSize(6).isSorted().doesNotHaveDuplicates();
        assertThat(drawn.stream().filter(i -> LABELS.get(i) == 0)).hasSize(3);
        assertThat(drawn.stream().filter(i -> LABELS.get(i) == 1)).hasSize(2);
        assertThat(drawn.stream().filter(i -> LABELS.get(i) == 2)).hasSize(1);
        // fixed per seed
        assertThat(TeacherShare.draw(LABELS, 0.5, 42)).isEqualTo(drawn);
    }

    @Test
    void everyClassKeepsAtLeastOneImageAndAllIsEveryImageInOrder() {
        // 0.25: round(1.25) = 1, round(0.75) = 1, round(0.5) = 1; 0.1: round(0.5) = 1, then at least one each
        assertThat(TeacherShare.draw(LABELS, 0.25, 7)).hasSize(3);
        assertThat(TeacherShare.draw(LABELS, 0.1, 7)).hasSize(3)
                .extracting(LABELS::get).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(TeacherShare.draw(LABELS, 1.0, 7)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThatThrownBy(() -> TeacherShare.draw(LABELS, 0, 7)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theDrawDependsOnTheSeed() {
        Set<List<Integer>> draws = new HashSet<>();
        IntStream.rangeClosed(1, 10).forEach(seed -> draws.add(TeacherShare.draw(LABELS, 0.5, seed)));
        // 10 draws of 3 of 5, 2 of 3 and 1 of 2 (60 possible): not all the same
        assertThat(draws.size()).isGreaterThan(1);
    }

    @Test
    void theEpochsAreScaledByTheInverseShare() {
        assertThat(TeacherShare.epochs(15, 0.5)).isEqualTo(30);
        assertThat(TeacherShare.epochs(20, 0.3)).isEqualTo(67); // 66.67
        assertThat(TeacherShare.epochs(15, 0.25)).isEqualTo(60);
        assertThat(TeacherShare.epochs(20, 1.0)).isEqualTo(20);
        assertThat(TeacherShare.epochs(1, 0.5)).isEqualTo(2);
    }
}
