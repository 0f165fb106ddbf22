package io.pneuknow.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One labelled image of a validated data set. {@code file} is absolute; {@code classIndex} indexes
 * {@link Dataset#classes()}; {@code regions} are the expert regions after the region filter (empty
 * when the image is not annotated); {@code attributes} holds every column of its labels row.
 */
public record Sample(String imageId, Path file, String className, int classIndex, String patientId,
                     List<Region> regions, Map<String, String> attributes) {
    public Sample {
        regions = List.copyOf(regions);
        attributes = Map.copyOf(attributes);
    }

    public boolean annotated() {
        return !regions.isEmpty();
    }
}
