package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.DatasetSummary.ClassCounts;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetSummaryTest {
    @TempDir
    Path root;

    @Test
    void countsImagesPatientsAndAnnotatedImagesPerClass() {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root).withRegionTypes("lesion"));

        DatasetSummary summary = DatasetSummary.of(dataset);

        assertThat(summary.classes()).containsExactly(
                new ClassCounts("covid", 3, 2, 1, 0),
                new ClassCounts("healthy", 2, 2, 1, 0),
                new ClassCounts("viral", 1, 1, 1, 0));
        assertThat(summary.total()).isEqualTo(new ClassCounts("total", 6, 5, 3, 0));
        assertThat(summary.toTable()).isEqualTo("""
                class    images  patients  annotated
                covid         3         2          1
                healthy       2         2          1
                viral         1         1          1
                total         6         5          3
                """);
    }
}
