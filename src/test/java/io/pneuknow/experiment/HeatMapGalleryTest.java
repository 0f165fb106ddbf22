package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.Box;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Region;
import io.pneuknow.data.Sample;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.explain.ImageAgreement;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gallery's choice of images and its captions, on hand-made samples and cells (no model involved). */
class HeatMapGalleryTest {
    private static final List<String> CLASSES = List.of("cavity", "opacity");

    private static Sample sample(String id, int classIndex, boolean annotated) {
        List<Region> regions = annotated ? List.of(new Region("lesion", "x", new Box(1, 1, 4, 4), null, "regions.csv")) : List.of();
        return new Sample(id, Path.of(id + ".png"), CLASSES.get(classIndex), classIndex, "p-" + id, regions, Map.of(), List.of());
    }

    private static CellResult cell(List<Prediction> test, List<ImageAgreement> localisation) {
        return new CellResult("tiny_cnn", "hkd", 2, 1, test, 0, 0, 0, List.of(), 1, "id", localisation);
    }

    @Test
    void imagesAreAnnotatedTestedByEveryMethodAndTakenInTurnFromEachClassInIdOrder() {
        // class 0: a3, a1, a2 annotated (listed out of order), a4 annotated but not tested by hkd; class 1: b1 annotated, b0 not
        List<Sample> samples = List.of(sample("a3", 0, true), sample("b0", 1, false), sample("a1", 0, true),
                sample("a4", 0, true), sample("b1", 1, true), sample("a2", 0, true));
        Dataset dataset = new Dataset(Path.of("data"), CLASSES, samples);
        CellResult any = cell(List.of(), List.of());
        Map<String, Map<String, CellResult>> testedBy = new LinkedHashMap<>();
        testedBy.put("baseline", Map.of("a1", any, "a2", any, "a3", any, "a4", any, "b0", any, "b1", any));
        testedBy.put("hkd", Map.of("a1", any, "a2", any, "a3", any, "b0", any, "b1", any));

        assertThat(HeatMapGallery.galleryImages(dataset, testedBy, 8)).extracting(Sample::imageId)
                .containsExactly("a1", "b1", "a2", "a3");
        assertThat(HeatMapGallery.galleryImages(dataset, testedBy, 3)).extracting(Sample::imageId)
                .containsExactly("a1", "b1", "a2");
    }

    @Test
    void theCaptionGivesThePredictionAndTheHeatInsideOrWhyItIsUndefined() {
        Sample a = sample("a", 0, true);
        Sample b = sample("b", 1, true);
        CellResult c = cell(List.of(new Prediction("a", "p-a", 0, 0.2, 0.8), new Prediction("b", "p-b", 1, 0.375, 0.625)),
                List.of(new ImageAgreement("a", "p-a", 0, 0.125, 0, 0.1, 0.2, null),
                        new ImageAgreement("b", "p-b", 1, Double.NaN, Double.NaN, Double.NaN, Double.NaN, "the heat map is all zero")));
        assertThat(HeatMapGallery.caption(c, a, CLASSES)).isEqualTo("predicted opacity, p(true) 0.200; heat inside 0.125");
        assertThat(HeatMapGallery.caption(c, b, CLASSES)).isEqualTo("predicted opacity, p(true) 0.625; undefined: the heat map is all zero");
        // a cell written before localisation was recorded
        assertThat(HeatMapGallery.caption(cell(c.test(), null), a, CLASSES)).isEqualTo("predicted opacity, p(true) 0.200");
    }
}
