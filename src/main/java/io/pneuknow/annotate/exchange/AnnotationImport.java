package io.pneuknow.annotate.exchange;

import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Region;
import io.pneuknow.data.Sample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads a data set the way training does ({@link DatasetLoader}: labels, images and its region files, every problem
 * reported at once) and puts its images and regions into the database in one transaction. Stored per image: id,
 * file (relative to the data folder), class, and the split part when the spec names a split column; never the
 * patient id. A region becomes a box, or a mask (its file relative to the data folder) with the box the file gave.
 */
public final class AnnotationImport {
    private AnnotationImport() {
    }

    /** Imports the data set that {@code spec} describes, its regions created by {@code author}. */
    public static AnnotationStore.ImportCount run(DataSpec spec, AnnotationStore store, Person author) {
        Dataset dataset = DatasetLoader.load(spec);
        Path root = dataset.root().toAbsolutePath().normalize();
        List<ImageEntry> images = new ArrayList<>();
        List<AnnotationStore.NewRegion> regions = new ArrayList<>();
        for (Sample sample : dataset.samples()) {
            String part = spec.splitColumn() == null ? null : sample.attributes().get(spec.splitColumn());
            images.add(new ImageEntry(sample.imageId(), relative(root, sample.file()), sample.className(), part));
            for (Region region : Stream.concat(sample.regions().stream(), sample.guidanceRegions().stream()).toList()) {
                regions.add(new AnnotationStore.NewRegion(sample.imageId(), draft(root, region)));
            }
        }
        return store.importAll(images, regions, author);
    }

    private static RegionDraft draft(Path root, Region region) {
        Geometry.Box box = region.box() == null ? null
                : new Geometry.Box(region.box().x(), region.box().y(), region.box().width(), region.box().height());
        Geometry geometry = region.maskFile() == null ? new Geometry(Geometry.Kind.BOX, box, List.of(), null)
                : Geometry.mask(relative(root, region.maskFile()), box);
        return new RegionDraft(region.type(), region.label(), geometry);
    }

    /** A file as stored: relative to the data folder when inside it (with '/' separators), else absolute. */
    static String relative(Path root, Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        Path shown = absolute.startsWith(root) ? root.relativize(absolute) : absolute;
        return shown.toString().replace('\\', '/');
    }
}
