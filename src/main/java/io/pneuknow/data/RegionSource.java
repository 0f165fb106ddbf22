package io.pneuknow.data;

import java.util.ArrayList;
import java.util.List;

/**
 * One format of expert regions on disk, read into regions of the labels file's images. Each format is
 * one class ({@link RegionsCsvSource}, {@link CocoJsonSource}, {@link MaskFolderSource}, and the annotation
 * database, {@link DatabaseRegionSource}); {@link #of(DataSpec)}
 * is the one place that picks them from what a {@link DataSpec} names.
 */
interface RegionSource {
    /** The region type of a region whose source does not say one. */
    String DEFAULT_TYPE = "lesion";

    /**
     * Reads the regions that the spec's region filters keep (as expert regions or as guidance), in file order,
     * for images of the labels file; reports every problem to {@code reading} and skips what it concerns.
     */
    List<ImageRegion> read(RegionReading reading);

    /** The sources a data spec names, in the order their regions are read: regions CSV, COCO JSON, masks folder, database. */
    static List<RegionSource> of(DataSpec spec) {
        List<RegionSource> sources = new ArrayList<>();
        if (spec.regionsCsv() != null) {
            sources.add(new RegionsCsvSource(spec.regionsCsv()));
        }
        if (spec.cocoJson() != null) {
            sources.add(new CocoJsonSource(spec.cocoJson()));
        }
        if (spec.masksDir() != null) {
            sources.add(new MaskFolderSource(spec.masksDir()));
        }
        if (spec.regionsDatabase() != null) {
            sources.add(new DatabaseRegionSource(spec.regionsDatabase()));
        }
        return sources;
    }
}
