package io.pneuknow.data;

import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ReviewState;
import io.pneuknow.annotate.StoredRegion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Regions from the annotation database ({@link io.pneuknow.annotate}): every region that is not deleted and not
 * rejected by a reviewer, in image and creation order. A box is read as its box; a polygon as its bounding box
 * (training's regions are boxes or mask files); a mask as its mask file (relative to the data folder) with its
 * box when it has one.
 */
record DatabaseRegionSource(String fileOrUrl) implements RegionSource {
    @Override
    public List<ImageRegion> read(RegionReading reading) {
        List<ImageRegion> regions = new ArrayList<>();
        try (AnnotationDatabase database = AnnotationDatabase.open(fileOrUrl, null, false)) {
            for (StoredRegion stored : new AnnotationStore(database).liveRegions()) {
                String where = database.shown() + " region " + stored.id() + " v" + stored.version();
                String type = stored.draft().type();
                String label = stored.draft().label();
                if (stored.review() == ReviewState.REJECTED || !reading.keeps(type, label)
                        || !reading.knownImage(stored.imageId(), where)) {
                    continue;
                }
                Geometry geometry = stored.draft().geometry();
                Geometry.Box box = geometry.box();
                Box pixels = box == null ? null : new Box(box.x(), box.y(), box.width(), box.height());
                Path maskFile = geometry.maskFile() == null ? null : reading.resolve(geometry.maskFile());
                regions.add(new ImageRegion(stored.imageId(), new Region(type, label, pixels, maskFile, where)));
            }
        }
        return regions;
    }
}
