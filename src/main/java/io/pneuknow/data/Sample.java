package io.pneuknow.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One labelled image of a validated data set. {@code file} is absolute; {@code classIndex} indexes
 * {@link Dataset#classes()}; {@code regions} are the expert regions after the region filter (empty
 * when the image is not annotated); {@code attributes} holds every column of its labels row;
 * {@code guidanceRegions} are weaker regions (for example the lungs) kept only for images without
 * expert regions, which training may use in their place ({@link #withGuidanceAsRegions()}).
 */
public record Sample(String imageId, Path file, String className, int classIndex, String patientId,
                     List<Region> regions, Map<String, String> attributes, List<Region> guidanceRegions) {
    public Sample {
        regions = List.copyOf(regions);
        attributes = Map.copyOf(attributes);
        guidanceRegions = guidanceRegions == null ? List.of() : List.copyOf(guidanceRegions);
        if (!regions.isEmpty() && !guidanceRegions.isEmpty()) {
            throw new IllegalArgumentException(imageId + ": guidance regions are only for images without expert regions");
        }
    }

    /** A sample without guidance regions. */
    public Sample(String imageId, Path file, String className, int classIndex, String patientId, List<Region> regions,
                  Map<String, String> attributes) {
        this(imageId, file, className, classIndex, patientId, regions, attributes, List.of());
    }

    /**
     * For training only: this sample with its guidance regions standing in as its regions (when it has
     * no expert regions but guidance), else this sample.
     */
    public Sample withGuidanceAsRegions() {
        return guidanceRegions.isEmpty() ? this
                : new Sample(imageId, file, className, classIndex, patientId, guidanceRegions, attributes, List.of());
    }

    public boolean annotated() {
        return !regions.isEmpty();
    }
}
