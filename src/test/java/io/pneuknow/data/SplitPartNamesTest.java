package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Part names of a split (split CSV files, labels columns): common synonyms understood, anything else refused by name. */
class SplitPartNamesTest {
    @TempDir
    Path root;

    @Test
    void synonymsAreUnderstoodWhateverTheirCase() {
        assertThat(List.of("train", "Training", "TRAIN").stream().map(Split::partName)).containsOnly("train");
        assertThat(List.of("val", "Valid", "validation", "VALIDATION", "dev").stream().map(Split::partName)).containsOnly("val");
        assertThat(List.of("test", "Test", "holdout", "HoldOut").stream().map(Split::partName)).containsOnly("test");
        assertThat(Split.partName("3")).isEqualTo("3");
        assertThat(Split.partName(" val ")).isEqualTo("val");
        assertThat(Split.partName("tune")).isNull();
        assertThat(Split.partName("")).isNull();
    }

    @Test
    void aValidationColumnGivesAValPart() {
        DataSpec spec = withColumn("Train", "training", "Validation", "train", "validation", "test");
        Dataset dataset = DatasetLoader.load(spec);

        Split split = Split.ofColumn(dataset, "part");

        assertThat(split.parts()).containsExactly("train", "val", "test");
        assertThat(split.samples(dataset, Split.VAL)).extracting(Sample::imageId).containsExactly("a3", "b2");
        assertThat(Split.fromColumn(dataset, "part").parts()).containsExactly("train", "val", "test");
    }

    @Test
    void anUnknownPartInAColumnIsRefusedByName() {
        DataSpec spec = withColumn("train", "train", "tuning", "train", "val", "test");
        Dataset dataset = DatasetLoader.load(spec);

        BadInputException error = catchThrowableOfType(BadInputException.class, () -> Split.ofColumn(dataset, "part"));

        assertThat(error.getMessage()).contains("split column 'part'", "image 'a3'", "'tuning'",
                "train/training, val/valid/validation/dev, test/holdout");
    }

    @Test
    void anUnknownPartInTheDataSpecSplitColumnIsReportedWithItsRow() {
        DataSpec spec = withColumn("train", "train", "tuning", "train", "val", "test").withSplitColumn("part");

        BadInputException error = catchThrowableOfType(BadInputException.class, () -> DatasetLoader.load(spec));

        assertThat(error.getMessage()).contains("labels.csv row 3: split value 'tuning' of image 'a3' in column 'part'",
                "train/training, val/valid/validation/dev, test/holdout");
    }

    @Test
    void splitFilesUnderstandSynonymsAndNameUnknownParts() {
        DataSpec spec = withColumn("train", "train", "val", "train", "val", "test");
        Dataset dataset = DatasetLoader.load(spec);
        Path file = TestData.text(root.resolve("split.csv"), "image_id,patient_id,class,part",
                "a1,p1,covid,TRAIN", "a2,p1,covid,training", "a3,p2,covid,Validation", "b1,p3,healthy,train",
                "b2,p4,healthy,dev", "c1,p5,viral,holdout");

        Split split = SplitCsv.read(file, dataset);

        assertThat(split.parts()).containsExactly("train", "val", "test");
        assertThat(split.samples(dataset, Split.VAL)).extracting(Sample::imageId).containsExactly("a3", "b2");
        assertThat(split.partOf("c1")).isEqualTo("test");

        TestData.text(file, "image_id,patient_id,class,part", "a1,p1,covid,train", "a2,p1,covid,train",
                "a3,p2,covid,tuning", "b1,p3,healthy,train", "b2,p4,healthy,val", "c1,p5,viral,test");
        BadInputException error = catchThrowableOfType(BadInputException.class, () -> SplitCsv.read(file, dataset));
        assertThat(error.getMessage()).contains("split.csv row 3: part 'tuning' of image 'a3' is not a part name",
                "train/training, val/valid/validation/dev, test/holdout");
    }

    /** The small set with a "part" column holding the given values for a1, a2, a3, b1, b2, c1. */
    private DataSpec withColumn(String... parts) {
        TestData.smallSet(root);
        String[] ids = {"a1", "a2", "a3", "b1", "b2", "c1"};
        String[] classes = {"covid", "covid", "covid", "healthy", "healthy", "viral"};
        String[] patients = {"p1", "p1", "p2", "p3", "p4", "p5"};
        String[] lines = new String[7];
        lines[0] = "image_id,file,class,patient_id,part";
        for (int i = 0; i < 6; i++) {
            lines[i + 1] = ids[i] + ",images/" + ids[i] + ".png," + classes[i] + "," + patients[i] + "," + parts[i];
        }
        TestData.text(root.resolve("labels.csv"), lines);
        return DataSpec.of(root);
    }
}
