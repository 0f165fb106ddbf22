package io.pneuknow.data;

import io.pneuknow.BadInputException;
import io.pneuknow.image.ImageFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads and validates a data set described by a {@link DataSpec}. Every problem is collected first
 * and thrown together as one {@link BadInputException}; a {@link Dataset} is returned only when
 * there is none. Samples keep the order of the labels file. Regions come from the {@link RegionSource}s the
 * spec names (one class per format); the loader checks them against their images.
 */
public final class DatasetLoader {
    private final DataSpec spec;
    private final Path root;
    private final Problems problems;
    /** Kept labels rows by image id, in file order. */
    private final Map<String, LabelRow> rows = new LinkedHashMap<>();
    /** Image ids of rows removed by the row filter: their regions are dropped silently. */
    private final Set<String> filteredOutIds = new HashSet<>();
    /** Image id of every labels row by its normalised file path, to match COCO file names. */
    private final Map<String, String> imageIdByFile = new HashMap<>();
    /** What the region sources read against: the spec, the labels file's image ids, the problem list. */
    private final RegionReading reading;
    private final List<ImageRegion> regions = new ArrayList<>();

    private DatasetLoader(DataSpec spec) {
        this.spec = spec;
        this.root = spec.root().toAbsolutePath().normalize();
        this.problems = new Problems(spec.labelsFile());
        this.reading = new RegionReading(spec, root, problems, rows.keySet(), filteredOutIds, imageIdByFile);
    }

    /** Reads, validates and returns the data set, or throws one exception listing every problem. */
    public static Dataset load(DataSpec spec) {
        return new DatasetLoader(spec).load();
    }

    /** One kept labels row. */
    private record LabelRow(int row, String imageId, Path file, String className, String patientId,
                            Map<String, String> attributes) {
    }

    /** Outcome of decoding one file: its size, or why it failed. */
    private record Decoded(ImageFiles.Dimensions dimensions, String error) {
    }

    private Dataset load() {
        readLabels();
        List<String> classes = classList();
        for (RegionSource source : RegionSource.of(spec)) {
            regions.addAll(source.read(reading));
        }
        Map<String, ImageFiles.Dimensions> imageSizes = checkImages();
        checkRegions(imageSizes);
        problems.throwIfAny();
        return build(classes);
    }

    private void readLabels() {
        Path labels = spec.labelsFile();
        String name = show(labels);
        if (!Files.isRegularFile(labels)) {
            problems.add(name + ": labels file not found; check the path or set the labels file in the data spec");
            problems.throwIfAny();
        }
        Csv.Table table = Csv.read(labels, name);
        List<String> required = new ArrayList<>(List.of(spec.imageIdColumn(), spec.fileColumn(),
                spec.classColumn(), spec.patientColumn()));
        required.addAll(spec.rowFilter().keySet());
        if (spec.splitColumn() != null) {
            required.add(spec.splitColumn());
        }
        for (String column : table.missing(required)) {
            problems.add(name + " header: column '" + column + "' not found (columns: " + String.join(", ", table.header())
                    + "); rename the column in the file or in the data spec");
        }
        problems.throwIfAny();

        Map<String, Integer> firstRowOfId = new HashMap<>();
        for (CSVRecord record : table.records()) {
            int row = (int) record.getRecordNumber();
            String where = name + " row " + row;
            if (!record.isConsistent()) {
                problems.add(where + ": " + record.size() + " fields but the header has " + table.header().size()
                        + "; fix the commas or quoting of this row");
                continue;
            }
            String imageId = record.get(spec.imageIdColumn());
            String file = record.get(spec.fileColumn());
            if (!imageId.isEmpty() && !file.isEmpty()) {
                imageIdByFile.put(RegionReading.normalise(file), imageId);
            }
            if (!passesRowFilter(record)) {
                filteredOutIds.add(imageId);
                continue;
            }
            if (imageId.isEmpty()) {
                problems.add(where + ": empty image id in column '" + spec.imageIdColumn() + "'; give every row an id");
                continue;
            }
            Integer firstRow = firstRowOfId.putIfAbsent(imageId, row);
            if (firstRow != null) {
                problems.add(where + ": duplicate image id '" + imageId + "' (first at row " + firstRow
                        + "); give each image its own id or remove the row");
                continue;
            }
            String className = record.get(spec.classColumn());
            if (className.isEmpty()) {
                problems.add(where + ": empty class for image '" + imageId + "' in column '" + spec.classColumn()
                        + "'; fill it in or filter the row out");
            } else if (!spec.classes().isEmpty() && !spec.classes().contains(className)) {
                problems.add(where + ": class '" + className + "' of image '" + imageId + "' is not in the class list "
                        + spec.classes() + "; fix the label, add the class to the list or filter the row out");
            }
            String patientId = record.get(spec.patientColumn());
            if (patientId.isEmpty()) {
                problems.add(where + ": missing patient id for image '" + imageId + "' in column '"
                        + spec.patientColumn() + "'; fill it in (splits keep each patient's images together)");
            }
            if (spec.splitColumn() != null && record.get(spec.splitColumn()).isEmpty()) {
                problems.add(where + ": empty split value for image '" + imageId + "' in column '"
                        + spec.splitColumn() + "'; fill it in or do not use the split column");
            } else if (spec.splitColumn() != null && Split.partName(record.get(spec.splitColumn())) == null) {
                problems.add(where + ": split value '" + record.get(spec.splitColumn()) + "' of image '" + imageId
                        + "' in column '" + spec.splitColumn() + "' is not a part name; write " + Split.SPELLINGS);
            }
            Path path = null;
            if (file.isEmpty()) {
                problems.add(where + ": empty file for image '" + imageId + "' in column '" + spec.fileColumn()
                        + "'; give the image path relative to " + root);
            } else {
                path = root.resolve(file).normalize();
                if (!Files.isRegularFile(path)) {
                    problems.add(where + ": image file " + file + " not found (under " + root
                            + "); fix the '" + spec.fileColumn() + "' column or add the file");
                    path = null;
                }
            }
            rows.put(imageId, new LabelRow(row, imageId, path, className, patientId, record.toMap()));
        }
    }

    private boolean passesRowFilter(CSVRecord record) {
        return spec.rowFilter().entrySet().stream()
                .allMatch(condition -> record.get(condition.getKey()).equals(condition.getValue()));
    }

    private List<String> classList() {
        if (spec.classes().isEmpty()) {
            return rows.values().stream().map(LabelRow::className).filter(c -> !c.isEmpty()).distinct().sorted().toList();
        }
        Set<String> present = new HashSet<>();
        rows.values().forEach(row -> present.add(row.className()));
        for (String className : spec.classes()) {
            if (!present.contains(className)) {
                problems.add(show(spec.labelsFile()) + ": class '" + className + "' has no images"
                        + (spec.rowFilter().isEmpty() ? "" : " after the row filter " + spec.rowFilter())
                        + "; remove it from the class list or relax the filter");
            }
        }
        return spec.classes();
    }

    /** Decodes every kept image in parallel; reports failures and returns the sizes of the good ones. */
    private Map<String, ImageFiles.Dimensions> checkImages() {
        List<LabelRow> withFile = rows.values().stream().filter(row -> row.file() != null).toList();
        List<Decoded> decoded = inParallel(withFile, row -> decode(row.file()));
        Map<String, ImageFiles.Dimensions> sizes = new HashMap<>();
        for (int i = 0; i < withFile.size(); i++) {
            LabelRow row = withFile.get(i);
            if (decoded.get(i).error() != null) {
                problems.add(show(spec.labelsFile()) + " row " + row.row() + ": " + decoded.get(i).error());
            } else {
                sizes.put(row.imageId(), decoded.get(i).dimensions());
            }
        }
        return sizes;
    }

    private void checkRegions(Map<String, ImageFiles.Dimensions> imageSizes) {
        List<Path> masks = regions.stream().map(r -> r.region().maskFile()).filter(m -> m != null).distinct().toList();
        List<Decoded> decodedMasks = inParallel(masks, DatasetLoader::decode);
        Map<Path, Decoded> maskByPath = new HashMap<>();
        for (int i = 0; i < masks.size(); i++) {
            maskByPath.put(masks.get(i), decodedMasks.get(i));
        }
        Set<Path> reportedMasks = new HashSet<>();
        for (ImageRegion regionOfImage : regions) {
            Region region = regionOfImage.region();
            // an image that is missing or unreadable is reported with its labels row; what of its regions
            // can be checked without its size still is
            ImageFiles.Dimensions image = imageSizes.get(regionOfImage.imageId());
            LabelRow row = rows.get(regionOfImage.imageId());
            String imageName = row.file() == null ? row.attributes().getOrDefault(spec.fileColumn(), "") : show(row.file());
            if (region.box() != null) {
                checkBox(region, image, image != null ? imageName : imageName + (row.file() == null ? ", not found"
                        : ", not readable") + ", so its far edges are not checked");
            }
            Path mask = region.maskFile();
            if (mask != null && reportedMasks.add(mask)) {
                Decoded decoded = maskByPath.get(mask);
                if (!Files.isRegularFile(mask)) {
                    problems.add(region.origin() + ": mask file " + show(mask) + " not found; fix mask_file or add the file");
                } else if (decoded.error() != null) {
                    problems.add(region.origin() + ": mask " + decoded.error());
                } else if (image != null && !decoded.dimensions().equals(image)) {
                    problems.add(region.origin() + ": mask " + show(mask) + " is " + size(decoded.dimensions())
                            + " but its image " + imageName + " is " + size(image) + "; re-export the mask at the image's size");
                }
            }
        }
    }

    /** Checks a box against its image's edges; without the image's size ({@code image} null) only its start. */
    private void checkBox(Region region, ImageFiles.Dimensions image, String imageName) {
        Box box = region.box();
        String remedy = " (" + imageName + "); fix the box or crop it to the image";
        if (box.x() < 0) {
            problems.add(region.origin() + ": box x=" + box.x() + " starts left of the image" + remedy);
        }
        if (box.y() < 0) {
            problems.add(region.origin() + ": box y=" + box.y() + " starts above the image" + remedy);
        }
        if (image == null) {
            return;
        }
        if (box.right() > image.width()) {
            problems.add(region.origin() + ": box x=" + box.x() + ",w=" + box.width() + " ends at " + box.right()
                    + ", past image width " + image.width() + remedy);
        }
        if (box.bottom() > image.height()) {
            problems.add(region.origin() + ": box y=" + box.y() + ",h=" + box.height() + " ends at " + box.bottom()
                    + ", past image height " + image.height() + remedy);
        }
    }

    private Dataset build(List<String> classes) {
        Map<String, List<Region>> regionsByImage = new HashMap<>();
        Map<String, List<Region>> guidanceByImage = new HashMap<>();
        for (ImageRegion r : regions) {
            (spec.guidesOnly(r.region().type()) ? guidanceByImage : regionsByImage)
                    .computeIfAbsent(r.imageId(), id -> new ArrayList<>()).add(r.region());
        }
        List<Sample> samples = rows.values().stream()
                .map(row -> new Sample(row.imageId(), row.file(), row.className(), classes.indexOf(row.className()),
                        row.patientId(), regionsByImage.getOrDefault(row.imageId(), List.of()), row.attributes(),
                        regionsByImage.containsKey(row.imageId()) ? List.of()
                                : guidanceByImage.getOrDefault(row.imageId(), List.of())))
                .toList();
        return new Dataset(root, classes, samples);
    }

    private static Decoded decode(Path file) {
        try {
            return new Decoded(ImageFiles.verify(file), null);
        } catch (BadInputException e) {
            return new Decoded(null, e.getMessage());
        }
    }

    /** Applies {@code task} to every item on the common fork-join pool; results keep the items' order. */
    private static <T, R> List<R> inParallel(List<T> items, Function<T, R> task) {
        return items.parallelStream().map(task).toList();
    }

    private static String size(ImageFiles.Dimensions dimensions) {
        return dimensions.width() + "x" + dimensions.height();
    }

    /** A path relative to the root when inside it, for messages. */
    private String show(Path path) {
        return reading.show(path);
    }
}
