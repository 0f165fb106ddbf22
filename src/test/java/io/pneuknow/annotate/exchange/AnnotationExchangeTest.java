package io.pneuknow.annotate.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.annotate.ReviewState;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.StoredRegion;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Fingerprint;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Import from and export to the region files training reads, and training's reading of the database. */
class AnnotationExchangeTest {
    @TempDir
    Path root;
    private AnnotationDatabase database;
    private AnnotationStore store;
    private Person importer;

    @BeforeEach
    void openDatabase() throws Exception {
        ExchangeFixtures.write(root);
        database = AnnotationDatabase.open("annotations.mv.db", root, true);
        store = new AnnotationStore(database);
        importer = store.personOrAdd("import", Role.ANNOTATOR);
    }

    @AfterEach
    void closeDatabase() {
        database.close();
    }

    private DataSpec spec() {
        return DataSpec.of(root).withSplitColumn("split");
    }

    /** A loaded data set's regions, one line per region (image, type, label, box, mask file relative to root). */
    private List<String> regionLines(Dataset dataset) {
        return dataset.samples().stream().flatMap(s -> s.regions().stream().map(r -> s.imageId() + " " + r.type() + " "
                + r.label() + " " + r.box() + " " + (r.maskFile() == null ? "-" : root.relativize(r.maskFile())))).toList();
    }

    @Test
    void csvImportThenExportGivesTheSameFileAndTheSameTrainingData() throws Exception {
        AnnotationStore.ImportCount count = AnnotationImport.run(spec().withRegionsCsv(Path.of("regions.csv")), store, importer);
        assertThat(count).isEqualTo(new AnnotationStore.ImportCount(3, 4, 0));
        assertThat(store.images()).containsExactly(new ImageEntry("a", "images/a.png", "pneumonia", "train"),
                new ImageEntry("b", "images/b.png", "pneumonia", "train"), new ImageEntry("c", "images/c.png", "normal", "test"));
        assertThat(AnnotationImport.run(spec().withRegionsCsv(Path.of("regions.csv")), store, importer))
                .as("importing the same file again adds nothing").isEqualTo(new AnnotationStore.ImportCount(3, 0, 4));

        Path exported = root.resolve("exported.csv");
        assertThat(AnnotationExport.csv(store, root, exported)).isEqualTo(new AnnotationExport.Count(4, 0, ""));
        assertThat(Files.readString(exported)).isEqualTo(ExchangeFixtures.REGIONS_CSV);

        Dataset fromCsv = DatasetLoader.load(spec().withRegionsCsv(Path.of("regions.csv")));
        Dataset fromDatabase = DatasetLoader.load(spec().withRegionsDatabase("annotations.mv.db"));
        assertThat(regionLines(fromDatabase)).isEqualTo(regionLines(fromCsv)).containsExactly(
                "a lesion opacity Box[x=2, y=3, width=5, height=4] -",
                "a anatomy left Box[x=10, y=1, width=6, height=8] -",
                "b lesion consolidation Box[x=0, y=10, width=4, height=2] masks/b_consolidation.png",
                "b lesion opacity Box[x=12, y=0, width=3, height=3] -");
        assertThat(Fingerprint.of(fromDatabase)).as("training sees the same data").isEqualTo(Fingerprint.of(fromCsv));
    }

    @Test
    void trainingReadsNeitherDeletedNorRejectedRegions() {
        AnnotationImport.run(spec().withRegionsCsv(Path.of("regions.csv")), store, importer);
        Person rita = store.addPerson("rita", Role.REVIEWER, null);
        List<StoredRegion> regions = store.liveRegions();
        store.deleteRegion(regions.get(0).id(), 1, importer);
        store.review(regions.get(3).id(), 1, ReviewState.REJECTED, rita);
        store.review(regions.get(2).id(), 1, ReviewState.ACCEPTED, rita);
        store.createRegion("c", new RegionDraft("lung", "right", Geometry.polygon(List.of(new Geometry.Point(1.5, 2),
                new Geometry.Point(8, 2), new Geometry.Point(4, 9.5)))), rita);

        Dataset dataset = DatasetLoader.load(spec().withRegionsDatabase(root.resolve("annotations.mv.db").toString()));
        assertThat(regionLines(dataset)).containsExactly(
                "a anatomy left Box[x=10, y=1, width=6, height=8] -",
                "b lesion consolidation Box[x=0, y=10, width=4, height=2] masks/b_consolidation.png",
                "c lung right Box[x=1, y=2, width=7, height=8] -");
        assertThat(dataset.samples().get(0).regions().get(0).origin())
                .isEqualTo(root.resolve("annotations.mv.db") + " region 2 v1");
        // the region filters apply as to every source
        Dataset lesions = DatasetLoader.load(spec().withRegionsDatabase("annotations.mv.db").withRegionTypes("lesion"));
        assertThat(lesions.samples().stream().mapToInt(s -> s.regions().size()).sum()).isEqualTo(1);
    }

    @Test
    void cocoImportThenExportReadsAsTheSameRegions() throws Exception {
        AnnotationImport.run(spec().withCocoJson(Path.of("coco.json")), store, importer);
        store.createRegion("c", new RegionDraft("lesion", "nodule", Geometry.polygon(List.of(new Geometry.Point(1.5, 2),
                new Geometry.Point(8, 2), new Geometry.Point(4, 9.5)))), importer);
        Path exported = root.resolve("exported-coco.json");
        assertThat(AnnotationExport.coco(store, root, exported)).isEqualTo(new AnnotationExport.Count(4, 0, ""));

        JsonNode coco = Json.MAPPER.readTree(exported.toFile());
        assertThat(coco.path("images").toString()).isEqualTo("[{\"id\":1,\"file_name\":\"images/a.png\",\"image_id_str\":\"a\"},"
                + "{\"id\":2,\"file_name\":\"images/b.png\",\"image_id_str\":\"b\"},{\"id\":3,\"file_name\":\"images/c.png\",\"image_id_str\":\"c\"}]");
        JsonNode polygon = coco.path("annotations").get(3);
        assertThat(polygon.path("bbox").toString()).isEqualTo("[1,2,7,8]");
        assertThat(polygon.path("segmentation").toString()).isEqualTo("[[1.5,2.0,8.0,2.0,4.0,9.5]]");
        assertThat(polygon.path("area").asLong()).isEqualTo(56);

        Dataset original = DatasetLoader.load(spec().withCocoJson(Path.of("coco.json")));
        Dataset again = DatasetLoader.load(spec().withCocoJson(exported.getFileName()));
        List<String> originalLines = regionLines(original);
        assertThat(regionLines(again)).containsExactlyElementsOf(Stream.concat(originalLines.stream(),
                Stream.of("c lesion nodule Box[x=1, y=2, width=7, height=8] -")).toList());
        assertThat(originalLines).containsExactly(
                "a lesion opacity Box[x=2, y=3, width=5, height=4] -",
                "a anatomy left Box[x=10, y=1, width=6, height=8] -",
                "b lesion opacity Box[x=12, y=0, width=3, height=3] masks/b_consolidation.png");
    }

    @Test
    void masksImportThenExportGivesTheSamePixelsAndPaintsBoxesAndPolygons() throws Exception {
        assertThat(AnnotationImport.run(spec().withMasksDir(Path.of("masks")), store, importer))
                .isEqualTo(new AnnotationStore.ImportCount(3, 2, 0));
        assertThat(store.regions("a")).extracting(r -> r.draft().geometry())
                .containsExactly(Geometry.mask("masks/a.png", null));
        // c: a 3x2 box at the corner and a rectangle-like polygon covering pixel centres x 10..13, y 2..4; a lung is not written
        store.createRegion("c", new RegionDraft("lesion", "lesion", Geometry.box(0, 0, 3, 2)), importer);
        store.createRegion("c", new RegionDraft("lesion", "lesion", Geometry.polygon(List.of(new Geometry.Point(10.2, 2.2),
                new Geometry.Point(13.8, 2.2), new Geometry.Point(13.8, 4.8), new Geometry.Point(10.2, 4.8)))), importer);
        store.createRegion("c", new RegionDraft("lung", "left", Geometry.box(0, 0, 20, 16)), importer);

        Path out = root.resolve("exported-masks");
        assertThat(AnnotationExport.masks(store, root, out)).isEqualTo(new AnnotationExport.Count(4, 1, "not of type lesion"));
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted()).containsExactly("a.png", "b_consolidation.png", "c.png");
        }
        for (String name : List.of("a.png", "b_consolidation.png")) {
            assertThat(ImageFiles.readMask(out.resolve(name)).pixels()).as(name)
                    .containsExactly(ImageFiles.readMask(root.resolve("masks").resolve(name)).pixels());
        }
        GreyImage c = ImageFiles.readMask(out.resolve("c.png"));
        StringBuilder on = new StringBuilder();
        for (int y = 0; y < c.height(); y++) {
            for (int x = 0; x < c.width(); x++) {
                if (c.get(x, y) > 0) {
                    on.append(x).append(',').append(y).append(' ');
                }
            }
        }
        assertThat(on.toString().strip()).isEqualTo("0,0 1,0 2,0 0,1 1,1 2,1 10,2 11,2 12,2 13,2 10,3 11,3 12,3 13,3 10,4 11,4 12,4 13,4");

        // the export reads back as the same lesion regions
        Dataset again = DatasetLoader.load(spec().withMasksDir(out.getFileName()));
        assertThat(again.samples().stream().filter(Sample::annotated).map(Sample::imageId)).containsExactly("a", "b", "c");
        assertThatThrownBy(() -> AnnotationExport.masks(store, root, out))
                .isInstanceOf(BadInputException.class).hasMessage(out + ": exists already; give a new folder for the masks");
    }

    @Test
    void aFailedImportWritesNothing() throws Exception {
        Files.writeString(root.resolve("bad.csv"), "image_id,x,y,w,h,label\na,1,1,2,2,opacity\nzz,1,1,2,2,opacity\n");
        assertThatThrownBy(() -> AnnotationImport.run(spec().withRegionsCsv(Path.of("bad.csv")), store, importer))
                .isInstanceOf(BadInputException.class).hasMessageContaining("image id 'zz' is not in labels.csv");
        assertThat(store.images()).isEmpty();
        assertThat(store.liveRegions()).isEmpty();
    }
}
