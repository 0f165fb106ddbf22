package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Loads the real curated CXR set in ../shared/data/cxr (skipped when absent unless pneuknow.requireHeavy=true). */
@Tag("shared-data")
@Tag("heavy")
class SharedDataTest {
    private static Path sharedData() {
        Path cxr = Path.of("").toAbsolutePath().getParent().resolve("shared/data/cxr");
        if (!Files.isDirectory(cxr)) {
            if (Boolean.getBoolean("pneuknow.requireHeavy")) {
                fail("pneuknow.requireHeavy=true but " + cxr + " is absent");
            }
            Assumptions.abort(cxr + " is absent");
        }
        return cxr;
    }

    @Test
    void loadsTheRealDataSet() {
        Path cxr = sharedData();
        DataSpec main = DataSpec.of(cxr).withRowCondition("recommended_main", "1").withRegionTypes("lesion");

        Dataset fromCsv = DatasetLoader.load(main.withRegionsCsv(Path.of("regions.csv")));
        Dataset fromCoco = DatasetLoader.load(main.withCocoJson(Path.of("regions_coco.json")));
        Dataset all = DatasetLoader.load(DataSpec.of(cxr).withRegionsCsv(Path.of("regions.csv")));

        // Counts from shared/data/README.md: 579 recommended images, 90 of them with lesion regions.
        assertThat(fromCsv.classes()).containsExactly("bacterial", "covid19", "fungal", "healthy", "viral_other");
        assertThat(imagesPerClass(fromCsv)).isEqualTo(
                Map.of("bacterial", 34L, "covid19", 476L, "fungal", 19L, "healthy", 27L, "viral_other", 23L));
        DatasetSummary summary = DatasetSummary.of(fromCsv);
        assertThat(summary.total()).isEqualTo(new DatasetSummary.ClassCounts("total", 579, 357, 90, 0)); // 4 patients have healthy and covid19 images
        assertThat(summary.classes()).extracting(DatasetSummary.ClassCounts::patients).containsExactly(18, 292, 14, 25, 12);
        assertThat(summary.classes()).extracting(DatasetSummary.ClassCounts::annotatedImages).containsExactly(9, 60, 11, 0, 10);
        assertThat(fromCsv.samples()).flatExtracting(Sample::regions).hasSize(218);

        assertThat(fromCoco.samples()).filteredOn(Sample::annotated).extracting(Sample::imageId)
                .containsExactlyElementsOf(fromCsv.samples().stream().filter(Sample::annotated).map(Sample::imageId).toList());
        assertThat(boxes(fromCoco)).containsExactlyInAnyOrderElementsOf(boxes(fromCsv)); // same boxes, other order

        assertThat(all.samples()).hasSize(1549);
        assertThat(Split.fromColumn(fromCsv, "fold5", 0).parts()).containsExactly("train", "val", "test");
    }

    @Test
    void lungRegionsServeAsGuidanceOnlyWhereNoLesionIsDrawn() {
        Path cxr = sharedData();
        DataSpec main = DataSpec.of(cxr).withRowCondition("recommended_main", "1").withRegionTypes("lesion")
                .withRegionsCsv(Path.of("regions.csv"));
        Dataset guided = DatasetLoader.load(main.withGuidanceRegionTypes("anatomy", "anatomy_box"));

        // counted independently from regions.csv: adult images with lung regions and no lesion region
        DatasetSummary summary = DatasetSummary.of(guided);
        assertThat(summary.total()).isEqualTo(new DatasetSummary.ClassCounts("total", 579, 357, 90, 63));
        assertThat(summary.classes()).extracting(DatasetSummary.ClassCounts::guidanceOnly).containsExactly(4, 59, 0, 0, 0);
        assertThat(guided.samples()).filteredOn(Sample::annotated).allSatisfy(s -> assertThat(s.guidanceRegions()).isEmpty());
        assertThat(guided.samples()).flatExtracting(Sample::regions).extracting(Region::type).containsOnly("lesion");
        Sample lungsOnly = guided.samples().stream().filter(s -> !s.guidanceRegions().isEmpty()).findFirst().orElseThrow();
        assertThat(lungsOnly.withGuidanceAsRegions().regions()).isEqualTo(lungsOnly.guidanceRegions());
        assertThat(lungsOnly.withGuidanceAsRegions().annotated()).isTrue();
        assertThat(Fingerprint.of(guided)).isNotEqualTo(Fingerprint.of(DatasetLoader.load(main)));
    }

    private static List<String> boxes(Dataset dataset) {
        return dataset.samples().stream()
                .flatMap(s -> s.regions().stream().map(r -> s.imageId() + " " + r.type() + " " + r.label() + " " + r.box()))
                .toList();
    }

    private static Map<String, Long> imagesPerClass(Dataset dataset) {
        return dataset.samples().stream().collect(Collectors.groupingBy(Sample::className, Collectors.counting()));
    }
}
