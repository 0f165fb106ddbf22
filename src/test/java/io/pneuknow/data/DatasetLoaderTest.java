package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {
    @TempDir
    Path root;

    @Test
    void loadsEveryRowInFileOrder() {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root));

        assertThat(dataset.classes()).containsExactly("covid", "healthy", "viral");
        assertThat(dataset.samples()).extracting(Sample::imageId).containsExactly("a1", "a2", "a3", "b1", "b2", "c1");
        Sample a1 = dataset.samples().get(0);
        assertThat(a1.className()).isEqualTo("covid");
        assertThat(a1.classIndex()).isEqualTo(0);
        assertThat(a1.patientId()).isEqualTo("p1");
        assertThat(a1.file()).isEqualTo(root.toAbsolutePath().resolve("images/a1.png"));
        assertThat(a1.attributes()).containsEntry("note", "serial, day 1").containsEntry("fold", "0");
        assertThat(a1.regions()).containsExactly(
                new Region("lesion", "ggo", new Box(2, 2, 5, 5), root.toAbsolutePath().resolve("masks/a1_ggo.png"),
                        "regions.csv row 1"),
                new Region("anatomy", "lung_left", new Box(0, 0, 10, 10), null, "regions.csv row 2"));
        assertThat(dataset.samples().get(4).regions()).extracting(Region::box).containsExactly(new Box(1, 1, 3, 3));
        assertThat(dataset.samples().get(5).classIndex()).isEqualTo(2);
    }

    @Test
    void rowFilterKeepsMatchingRowsAndDropsTheirRegionsSilently() {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root).withRowCondition("keep", "1"));

        assertThat(dataset.samples()).extracting(Sample::imageId).containsExactly("a1", "a2", "a3", "b1", "c1");
        assertThat(dataset.samples()).flatExtracting(Sample::regions).hasSize(3);
    }

    @Test
    void severalRowConditionsMustAllHold() {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root).withRowCondition("keep", "1").withRowCondition("fold", "2"));

        assertThat(dataset.samples()).extracting(Sample::imageId).containsExactly("b1", "c1");
    }

    @Test
    void rowFilterOnUnknownColumnFails() {
        DataSpec spec = TestData.smallSet(root).withRowCondition("recommended", "1");

        assertThatThrownBy(() -> DatasetLoader.load(spec))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("labels.csv header: column 'recommended' not found")
                .hasMessageContaining("columns: image_id, file, class, patient_id, keep, fold, note");
    }

    @Test
    void classListFixesOrderAndIndex() {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root).withClasses(List.of("viral", "covid", "healthy")));

        assertThat(dataset.classes()).containsExactly("viral", "covid", "healthy");
        assertThat(dataset.samples()).extracting(Sample::classIndex).containsExactly(1, 1, 1, 2, 2, 0);
    }

    @Test
    void classesComeFromRowsLeftByTheFilter() {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root).withRowCondition("fold", "2"));

        assertThat(dataset.classes()).containsExactly("healthy", "viral");
    }

    @Test
    void regionFilterByTypeAndLabel() {
        Dataset lesions = DatasetLoader.load(TestData.smallSet(root).withRegionTypes("lesion"));
        Dataset consolidation = DatasetLoader.load(TestData.smallSet(root).withRegionLabels("consolidation"));

        assertThat(lesions.samples()).flatExtracting(Sample::regions).extracting(Region::label)
                .containsExactly("ggo", "ggo", "consolidation");
        assertThat(lesions.samples()).filteredOn(Sample::annotated).extracting(Sample::imageId)
                .containsExactly("a1", "b2", "c1");
        assertThat(consolidation.samples()).filteredOn(Sample::annotated).extracting(Sample::imageId)
                .containsExactly("c1");
    }

    @Test
    void regionFilterSkipsChecksOfRegionsItDrops() {
        DataSpec spec = TestData.smallSet(root);
        TestData.text(root.resolve("regions.csv"),
                "image_id,region_type,label,x,y,w,h",
                "a1,anatomy,lung_left,0,0,99,99",
                "a2,lesion,ggo,1,1,2,2");

        Dataset dataset = DatasetLoader.load(spec.withRegionTypes("lesion"));

        assertThat(dataset.samples().get(1).regions()).extracting(Region::box).containsExactly(new Box(1, 1, 2, 2));
    }

    @Test
    void regionsCsvWithoutTypeColumnGivesLesions() {
        DataSpec spec = TestData.smallSet(root);
        TestData.text(root.resolve("regions.csv"), "image_id,x,y,w,h,label", "a3,1,2,3,4,ggo");

        Dataset dataset = DatasetLoader.load(spec);

        assertThat(dataset.samples().get(2).regions()).containsExactly(
                new Region("lesion", "ggo", new Box(1, 2, 3, 4), null, "regions.csv row 1"));
    }

    @Test
    void readsCocoMatchingByIdStringOrFileName() {
        TestData.smallSet(root);
        TestData.text(root.resolve("coco.json"), """
                {"images": [
                   {"id": 7, "file_name": "images/a1.png", "image_id_str": "a1", "width": 20, "height": 10},
                   {"id": 8, "file_name": "images/c1.png", "width": 20, "height": 10}],
                 "categories": [
                   {"id": 1, "name": "ggo", "supercategory": "lesion"},
                   {"id": 2, "name": "lung_left", "supercategory": "anatomy"}],
                 "annotations": [
                   {"id": 11, "image_id": 7, "category_id": 1, "bbox": [1.5, 2, 3.2, 4], "mask_file": "masks/a1_ggo.png"},
                   {"id": 12, "image_id": 8, "category_id": 2, "bbox": [0, 0, 20, 10]},
                   {"id": 13, "image_id": 8, "category_id": 2, "bbox": [1, 1, 2, 2], "region_type": "anatomy_box"}]}
                """);

        Dataset all = DatasetLoader.load(DataSpec.of(root).withCocoJson(Path.of("coco.json")));
        Dataset lesions = DatasetLoader.load(DataSpec.of(root).withCocoJson(Path.of("coco.json")).withRegionTypes("lesion"));

        assertThat(all.samples().get(0).regions()).containsExactly(new Region("lesion", "ggo", new Box(1, 2, 4, 4),
                root.toAbsolutePath().resolve("masks/a1_ggo.png"), "coco.json annotation id 11"));
        assertThat(all.samples().get(5).regions()).containsExactly(
                new Region("anatomy", "lung_left", new Box(0, 0, 20, 10), null, "coco.json annotation id 12"),
                new Region("anatomy_box", "lung_left", new Box(1, 1, 2, 2), null, "coco.json annotation id 13"));
        assertThat(lesions.samples()).filteredOn(Sample::annotated).extracting(Sample::imageId).containsExactly("a1");
    }

    @Test
    void readsMasksDirectoryWithLongestMatchingImageId() {
        TestData.greyPng(root.resolve("img.png"), 8, 6, 10);
        TestData.greyPng(root.resolve("img_2.png"), 8, 6, 10);
        TestData.text(root.resolve("labels.csv"), "image_id,file,class,patient_id", "img,img.png,a,p1", "img_2,img_2.png,b,p2");
        Path masks = root.resolve("masks");
        TestData.maskPng(masks.resolve("img.png"), 8, 6, new Box(0, 0, 2, 2));
        TestData.maskPng(masks.resolve("img_ggo.png"), 8, 6, new Box(0, 0, 2, 2));
        TestData.maskPng(masks.resolve("img_2_consolidation.png"), 8, 6, new Box(0, 0, 2, 2));

        Dataset dataset = DatasetLoader.load(DataSpec.of(root).withMasksDir(Path.of("masks")));

        assertThat(dataset.samples().get(0).regions()).containsExactly(
                new Region("lesion", "lesion", null, masks.toAbsolutePath().resolve("img.png"), "masks/img.png"),
                new Region("lesion", "ggo", null, masks.toAbsolutePath().resolve("img_ggo.png"), "masks/img_ggo.png"));
        assertThat(dataset.samples().get(1).regions()).extracting(Region::label).containsExactly("consolidation");
    }

    @Test
    void maskWithoutMatchingImageIdIsAProblem() {
        TestData.smallSet(root);
        TestData.maskPng(root.resolve("masks/zz_ggo.png"), TestData.WIDTH, TestData.HEIGHT, new Box(0, 0, 1, 1));

        assertThatThrownBy(() -> DatasetLoader.load(DataSpec.of(root).withMasksDir(Path.of("masks"))))
                .hasMessageContaining("masks/zz_ggo.png: no image id of labels.csv matches this name");
    }

    @Test
    void missingLabelsFileIsReported() {
        assertThatThrownBy(() -> DatasetLoader.load(DataSpec.of(root)))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("1 problem in " + root.resolve("labels.csv"))
                .hasMessageContaining("labels.csv: labels file not found");
    }

    @Test
    void missingRequiredColumnsAreReportedTogether() {
        TestData.text(root.resolve("labels.csv"), "id,file,diagnosis", "a,a.png,covid");

        BadInputException error = catchThrowableOfType(BadInputException.class,
                () -> DatasetLoader.load(DataSpec.of(root)));

        assertThat(error.getMessage().lines()).containsExactly(
                "3 problems in " + root.resolve("labels.csv") + " (rows are 1-based data rows, header not counted):",
                "labels.csv header: column 'image_id' not found (columns: id, file, diagnosis); rename the column in the file or in the data spec",
                "labels.csv header: column 'class' not found (columns: id, file, diagnosis); rename the column in the file or in the data spec",
                "labels.csv header: column 'patient_id' not found (columns: id, file, diagnosis); rename the column in the file or in the data spec");
    }

    @Test
    void otherColumnNamesCanBeConfigured() {
        TestData.greyPng(root.resolve("x.png"), 4, 4, 1);
        TestData.text(root.resolve("meta/list.csv"), "id,path,diagnosis,subject", "x1,x.png,covid,s1");

        Dataset dataset = DatasetLoader.load(DataSpec.of(root).withLabelsFile(Path.of("meta/list.csv"))
                .withColumns("id", "path", "diagnosis", "subject"));

        assertThat(dataset.samples()).singleElement().satisfies(s -> {
            assertThat(s.imageId()).isEqualTo("x1");
            assertThat(s.patientId()).isEqualTo("s1");
            assertThat(s.className()).isEqualTo("covid");
        });
    }

    @Test
    void reportsEveryProblemTogetherWithFileRowAndValue() throws Exception {
        TestData.smallSet(root);
        Files.writeString(root.resolve("images/bad.png"), "not an image");
        TestData.greyPng(root.resolve("images/small.png"), 8, 8, 50);
        TestData.maskPng(root.resolve("masks/small_ggo.png"), TestData.WIDTH, TestData.HEIGHT, new Box(0, 0, 2, 2));
        Files.writeString(root.resolve("masks/broken.png"), "not a mask");
        TestData.text(root.resolve("labels.csv"),
                "image_id,file,class,patient_id",
                "a1,images/a1.png,covid,p1",
                "a2,images/missing.png,covid,p1",
                "a3,images/bad.png,covid,p2",
                "b1,images/b1.png,flu,p3",
                "a1,images/a2.png,covid,p4",
                "c1,images/c1.png,covid,",
                "s1,images/small.png,covid,p6",
                "b2,images/b2.png,covid,p7");
        TestData.text(root.resolve("regions.csv"),
                "image_id,region_type,label,x,y,w,h,mask_file",
                "a1,lesion,ggo,15,0,10,5,",
                "a1,lesion,ggo,0,0,0,5,",
                "a1,lesion,ggo,0,0,2,2,masks/none.png",
                "s1,lesion,ggo,0,0,2,2,masks/small_ggo.png",
                "zz,lesion,ggo,0,0,2,2,",
                "c1,lesion,ggo,1,7,2,4,masks/broken.png",
                "b2,lesion,ggo,x1,0,2,2,");
        DataSpec spec = DataSpec.of(root).withRegionsCsv(Path.of("regions.csv"))
                .withClasses(List.of("covid", "healthy", "fungal"));

        BadInputException error = catchThrowableOfType(BadInputException.class, () -> DatasetLoader.load(spec));

        assertThat(error.getMessage().lines().toList()).hasSize(16).satisfiesExactlyInAnyOrder(
                line -> assertThat(line).startsWith("15 problems in " + root.resolve("labels.csv")),
                line -> assertThat(line).isEqualTo("labels.csv row 2: image file images/missing.png not found (under "
                        + root.toAbsolutePath() + "); fix the 'file' column or add the file"),
                line -> assertThat(line).startsWith("labels.csv row 3: " + root.toAbsolutePath().resolve("images/bad.png")
                        + ": cannot decode image").endsWith("re-save it as an 8/16-bit PNG or a baseline JPEG"),
                line -> assertThat(line).isEqualTo("labels.csv row 4: class 'flu' of image 'b1' is not in the class list "
                        + "[covid, healthy, fungal]; fix the label, add the class to the list or filter the row out"),
                line -> assertThat(line).isEqualTo("labels.csv row 5: duplicate image id 'a1' (first at row 1); "
                        + "give each image its own id or remove the row"),
                line -> assertThat(line).isEqualTo("labels.csv row 6: missing patient id for image 'c1' in column "
                        + "'patient_id'; fill it in (splits keep each patient's images together)"),
                line -> assertThat(line).isEqualTo("labels.csv: class 'healthy' has no images; remove it from the class "
                        + "list or relax the filter"),
                line -> assertThat(line).isEqualTo("labels.csv: class 'fungal' has no images; remove it from the class "
                        + "list or relax the filter"),
                line -> assertThat(line).isEqualTo("regions.csv row 1: box x=15,w=10 ends at 25, past image width 20 "
                        + "(images/a1.png); fix the box or crop it to the image"),
                line -> assertThat(line).isEqualTo("regions.csv row 2: box w=0,h=5 has a non-positive size; "
                        + "fix the box or remove the region"),
                line -> assertThat(line).isEqualTo("regions.csv row 3: mask file masks/none.png not found; "
                        + "fix mask_file or add the file"),
                line -> assertThat(line).isEqualTo("regions.csv row 4: mask masks/small_ggo.png is 20x10 but its image "
                        + "images/small.png is 8x8; re-export the mask at the image's size"),
                line -> assertThat(line).isEqualTo("regions.csv row 5: image id 'zz' is not in labels.csv; "
                        + "fix the id or remove the region"),
                line -> assertThat(line).isEqualTo("regions.csv row 6: box y=7,h=4 ends at 11, past image height 10 "
                        + "(images/c1.png); fix the box or crop it to the image"),
                line -> assertThat(line).startsWith("regions.csv row 6: mask " + root.toAbsolutePath().resolve("masks/broken.png")
                        + ": cannot decode image"),
                line -> assertThat(line).isEqualTo("regions.csv row 7: x='x1' is not a whole number of pixels; fix the value"));
    }

    @Test
    void shortRowsAndEmptySplitValuesAreReported() {
        TestData.smallSet(root);
        TestData.text(root.resolve("labels.csv"),
                "image_id,file,class,patient_id,fold",
                "a1,images/a1.png,covid,p1,0",
                "a2,images/a2.png,covid",
                "a3,images/a3.png,covid,p2,");

        BadInputException error = catchThrowableOfType(BadInputException.class,
                () -> DatasetLoader.load(DataSpec.of(root).withSplitColumn("fold")));

        assertThat(error.getMessage()).contains(
                "labels.csv row 2: 3 fields but the header has 5; fix the commas or quoting of this row",
                "labels.csv row 3: empty split value for image 'a3' in column 'fold'");
    }

    @Test
    void cocoProblemsNameTheAnnotation() {
        TestData.smallSet(root);
        TestData.text(root.resolve("coco.json"), """
                {"images": [{"id": 1, "file_name": "images/unknown.png"}, {"id": 2, "file_name": "images/a2.png"}],
                 "categories": [{"id": 1, "name": "ggo", "supercategory": "lesion"}],
                 "annotations": [
                   {"id": 5, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2]},
                   {"id": 6, "image_id": 2, "category_id": 9, "bbox": [0, 0, 2, 2]},
                   {"id": 7, "image_id": 2, "category_id": 1, "bbox": [18, 0, 4, 2]}]}
                """);

        BadInputException error = catchThrowableOfType(BadInputException.class,
                () -> DatasetLoader.load(DataSpec.of(root).withCocoJson(Path.of("coco.json"))));

        assertThat(error.getMessage()).startsWith("3 problems").contains(
                "coco.json annotation id 5: image_id 1 matches no image of labels.csv",
                "coco.json annotation id 6: category_id 9 is not in categories",
                "coco.json annotation id 7: box x=18,w=4 ends at 22, past image width 20 (images/a2.png)");
    }

    @Test
    void attributesKeepEveryColumn() {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root));

        assertThat(dataset.samples().get(3).attributes()).isEqualTo(Map.of("image_id", "b1", "file", "images/b1.png",
                "class", "healthy", "patient_id", "p3", "keep", "1", "fold", "2", "note", ""));
    }
}
