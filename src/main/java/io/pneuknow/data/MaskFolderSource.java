package io.pneuknow.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Regions from a folder of lesion mask PNGs named {@code <image_id>.png} (label "lesion") or
 * {@code <image_id>_<label>.png}; the longest image id of the labels file that the name starts with wins.
 */
record MaskFolderSource(Path dir) implements RegionSource {
    @Override
    public List<ImageRegion> read(RegionReading reading) {
        List<ImageRegion> regions = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            reading.problem(reading.show(dir) + ": masks directory not found; check the path in the data spec");
            return regions;
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(f -> f.getFileName().toString().toLowerCase().endsWith(".png")).sorted().toList();
        } catch (IOException e) {
            reading.problem(reading.show(dir) + ": cannot list masks (" + e.getMessage() + "); check permissions");
            return regions;
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            String stem = name.substring(0, name.length() - ".png".length());
            String imageId = longestImageIdPrefix(stem, reading);
            if (imageId == null) {
                reading.problem(reading.show(file) + ": no image id of " + reading.labelsName()
                        + " matches this name; name masks <image_id>.png or <image_id>_<label>.png");
                continue;
            }
            String label = stem.equals(imageId) ? DEFAULT_TYPE : stem.substring(imageId.length() + 1);
            if (reading.keeps(DEFAULT_TYPE, label) && reading.knownImage(imageId, reading.show(file))) {
                Region region = new Region(DEFAULT_TYPE, label, null, file.toAbsolutePath().normalize(), reading.show(file));
                regions.add(new ImageRegion(imageId, region));
            }
        }
        return regions;
    }

    /** The longest labels image id that is the whole stem or is followed by '_' in it. */
    private static String longestImageIdPrefix(String stem, RegionReading reading) {
        for (int end = stem.length(); end > 0; end = stem.lastIndexOf('_', end - 1)) {
            String candidate = stem.substring(0, end);
            if (reading.isLabelsImageId(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
