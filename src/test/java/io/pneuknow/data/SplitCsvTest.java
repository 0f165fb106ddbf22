package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitCsvTest {
    @TempDir
    Path dir;

    @Test
    void roundTrips() throws Exception {
        Dataset dataset = SplitterTest.unbalanced();
        Split split = Splitter.kFold(dataset, 5, 3);
        Path file = dir.resolve("split.csv");

        SplitCsv.write(split, dataset, file);
        SplitCsv.write(split, dataset, file); // replaces

        assertThat(SplitCsv.read(file, dataset)).isEqualTo(split);
        assertThat(Files.readAllLines(file).subList(0, 2)).containsExactly(
                "image_id,patient_id,class,part", "c0_0,pc0,common," + split.partOf("c0_0"));
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file); // no temporary file left
        }
    }

    @Test
    void reportsUnknownRepeatedAndMissingImagesAndPatientsInTwoParts() {
        Dataset dataset = SplitterTest.unbalanced();
        Path file = TestData.text(dir.resolve("split.csv"), "image_id,patient_id,class,part",
                "c0_0,pc0,common,train",
                "ghost,px,common,train",
                "c0_0,pc0,common,train",
                "c1_0,pc1,common,train",
                "c1_1,pc1,common,test",
                "r0,pr0,rare,");

        BadInputException error = catchThrowableOfType(BadInputException.class, () -> SplitCsv.read(file, dataset));

        assertThat(error.getMessage())
                .contains("split.csv row 2: image id 'ghost' is not in the data set")
                .contains("split.csv row 3: image id 'c0_0' is repeated (first at row 1)")
                .contains("split.csv row 6: empty part for image 'r0'")
                .contains("split.csv: image 'c2_0' of the data set has no row")
                .contains("split.csv: patient 'pc1' is in parts test, train");
    }
}
