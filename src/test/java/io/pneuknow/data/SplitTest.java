package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SplitTest {
    private static Sample sample(String id, String className, String patient, String column, String value) {
        return new Sample(id, Path.of(id + ".png"), className, className.equals("a") ? 0 : 1, patient, List.of(),
                Map.of(column, value));
    }

    @Test
    void forFoldMakesTestValAndTrain() {
        Map<String, String> folds = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            folds.put("img" + i, Integer.toString(i % 4));
        }
        Split split = new Split(folds, List.of("0", "1", "2", "3"));

        Split fold3 = split.forFold(3);

        assertThat(fold3.parts()).containsExactly("train", "val", "test");
        assertThat(fold3.partOf("img3")).isEqualTo("test");
        assertThat(fold3.partOf("img7")).isEqualTo("test");
        assertThat(fold3.partOf("img0")).isEqualTo("val");
        assertThat(fold3.partOf("img4")).isEqualTo("val");
        assertThat(fold3.partOf("img1")).isEqualTo("train");
        assertThat(fold3.partOf("img2")).isEqualTo("train");
        assertThatThrownBy(() -> split.forFold(4)).isInstanceOf(BadInputException.class).hasMessageContaining("test fold 4");
        assertThatThrownBy(() -> fold3.forFold(0)).isInstanceOf(BadInputException.class).hasMessageContaining("are not folds");
    }

    @Test
    void fromColumnReadsTrainValTest() {
        Dataset dataset = new Dataset(Path.of("."), List.of("a", "b"), List.of(
                sample("x1", "a", "p1", "split", "train"),
                sample("x2", "a", "p1", "split", "train"),
                sample("x3", "b", "p2", "split", "test"),
                sample("x4", "b", "p3", "split", "val")));

        Split split = Split.fromColumn(dataset, "split");

        assertThat(split.parts()).containsExactly("train", "val", "test");
        assertThat(split.partOfImage()).isEqualTo(Map.of("x1", "train", "x2", "train", "x3", "test", "x4", "val"));
        assertThat(split.countsTable(dataset)).isEqualTo("""
                images (patients) per part
                class  train    val   test
                a      2 (1)  0 (0)  0 (0)
                b      0 (0)  1 (1)  1 (1)
                total  2 (1)  1 (1)  1 (1)
                """);
    }

    @Test
    void fromColumnReadsFoldNumbers() {
        Dataset dataset = new Dataset(Path.of("."), List.of("a", "b"), List.of(
                sample("x0", "a", "p0", "fold5", "0"),
                sample("x1", "a", "p1", "fold5", "1"),
                sample("x2", "b", "p2", "fold5", "2"),
                sample("x3", "b", "p3", "fold5", "3"),
                sample("x4", "b", "p4", "fold5", "4")));

        Split split = Split.fromColumn(dataset, "fold5", 4);

        assertThat(split.partOfImage()).isEqualTo(Map.of("x0", "val", "x1", "train", "x2", "train", "x3", "train", "x4", "test"));
        assertThatThrownBy(() -> Split.fromColumn(dataset, "fold5")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("has values [0, 1, 2, 3, 4], not train/val/test");
    }

    @Test
    void fromColumnRejectsPatientInTwoPartsAndEmptyValues() {
        Dataset dataset = new Dataset(Path.of("."), List.of("a", "b"), List.of(
                sample("x1", "a", "p1", "split", "train"),
                sample("x2", "a", "p1", "split", "test"),
                sample("x3", "b", "p2", "split", "")));

        assertThatThrownBy(() -> Split.fromColumn(dataset, "split"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("image 'x3': no value in split column 'split'")
                .hasMessageContaining("patient 'p1' is in parts test, train; put all of a patient's images in one part");
    }

    @Test
    void ordersPartNames() {
        assertThat(Split.orderedParts(List.of("10", "test", "2", "other", "train", "val"))).containsExactly(
                "train", "val", "test", "2", "10", "other");
    }
}
