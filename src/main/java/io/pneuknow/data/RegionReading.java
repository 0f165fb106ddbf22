package io.pneuknow.data;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link RegionSource} reads against: the data spec and its folder, the image ids of the labels file
 * (kept rows, and rows the row filter removed, whose regions are dropped silently), and the problem list.
 */
final class RegionReading {
    private final DataSpec spec;
    private final Path root;
    private final Problems problems;
    private final Set<String> keptIds;
    private final Set<String> filteredOutIds;
    private final Map<String, String> imageIdByFile;

    /**
     * @param root the spec's root, absolute and normalised
     * @param keptIds image ids of the kept labels rows
     * @param filteredOutIds image ids of the rows removed by the row filter
     * @param imageIdByFile image id of every labels row by its normalised file path
     */
    RegionReading(DataSpec spec, Path root, Problems problems, Set<String> keptIds, Set<String> filteredOutIds,
                  Map<String, String> imageIdByFile) {
        this.spec = spec;
        this.root = root;
        this.problems = problems;
        this.keptIds = keptIds;
        this.filteredOutIds = filteredOutIds;
        this.imageIdByFile = imageIdByFile;
    }

    /** Reports one problem (a line: where, what, and what to do). */
    void problem(String line) {
        problems.add(line);
    }

    /** Whether a region of this type and label is kept, as an expert region or as guidance. */
    boolean keeps(String type, String label) {
        return spec.keepsRegion(type, label) || spec.guidesOnly(type);
    }

    /** Whether regions of this image should be kept; reports ids absent from the labels file. */
    boolean knownImage(String imageId, String where) {
        if (keptIds.contains(imageId)) {
            return true;
        }
        if (!filteredOutIds.contains(imageId)) {
            problems.add(where + ": image id '" + imageId + "' is not in " + labelsName()
                    + "; fix the id or remove the region");
        }
        return false;
    }

    /** Whether this is the image id of a labels row, kept or filtered out. */
    boolean isLabelsImageId(String candidate) {
        return keptIds.contains(candidate) || filteredOutIds.contains(candidate);
    }

    /** The image id of the labels row whose file is this path relative to the root; null when none. */
    String imageIdOfFile(String relativeFile) {
        return imageIdByFile.get(normalise(relativeFile));
    }

    /** A path given relative to the root (as a mask_file column), resolved and normalised. */
    Path resolve(String relativeFile) {
        return root.resolve(relativeFile).normalize();
    }

    /** The labels file, as messages name it. */
    String labelsName() {
        return show(spec.labelsFile());
    }

    /** Parses and checks a box; reports and returns null when a value is not a whole number or a size is not positive. */
    Box box(String where, String x, String y, String w, String h) {
        int[] values = new int[4];
        String[] names = {"x", "y", "w", "h"};
        String[] texts = {x, y, w, h};
        boolean ok = true;
        for (int i = 0; i < 4; i++) {
            try {
                values[i] = Integer.parseInt(texts[i]);
            } catch (NumberFormatException e) {
                problems.add(where + ": " + names[i] + "='" + texts[i] + "' is not a whole number of pixels; fix the value");
                ok = false;
            }
        }
        if (!ok) {
            return null;
        }
        if (values[2] <= 0 || values[3] <= 0) {
            problems.add(where + ": box w=" + values[2] + ",h=" + values[3]
                    + " has a non-positive size; fix the box or remove the region");
            return null;
        }
        return new Box(values[0], values[1], values[2], values[3]);
    }

    /** A path relative to the root when inside it, for messages. */
    String show(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(root) ? root.relativize(absolute).toString() : absolute.toString();
    }

    /** A file path of the labels file or a region source, normalised for matching. */
    static String normalise(String relativeFile) {
        return Path.of(relativeFile).normalize().toString();
    }
}
