package io.pneuknow.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pneuknow.BadInputException;
import io.pneuknow.image.ImageFiles;

import java.io.IOException;
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
import java.util.stream.Stream;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads and validates a data set described by a {@link DataSpec}. Every problem is collected first
 * and thrown together as one {@link BadInputException}; a {@link Dataset} is returned only when
 * there is none. Samples keep the order of the labels file.
 */
public final class DatasetLoader {
    private static final String DEFAULT_REGION_TYPE = "lesion";
    private static final List<String> REGIONS_CSV_COLUMNS = List.of("image_id", "x", "y", "w", "h", "label");

    private final DataSpec spec;
    private final Path root;
    private final Problems problems;
    /** Kept labels rows by image id, in file order. */
    private final Map<String, LabelRow> rows = new LinkedHashMap<>();
    /** Image ids of rows removed by the row filter: their regions are dropped silently. */
    private final Set<String> filteredOutIds = new HashSet<>();
    /** Image id of every labels row by its normalised file path, to match COCO file names. */
    private final Map<String, String> imageIdByFile = new HashMap<>();
    private final List<RegionOfImage> regions = new ArrayList<>();

    private DatasetLoader(DataSpec spec) {
        this.spec = spec;
        this.root = spec.root().toAbsolutePath().normalize();
        this.problems = new Problems(spec.labelsFile());
    }

    /** Reads, validates and returns the data set, or throws one exception listing every problem. */
    public static Dataset load(DataSpec spec) {
        return new DatasetLoader(spec).load();
    }

    /** One kept labels row. */
    private record LabelRow(int row, String imageId, Path file, String className, String patientId,
                            Map<String, String> attributes) {
    }

    /** A region read from a regions source, before validation. */
    private record RegionOfImage(String imageId, Region region) {
    }

    /** Outcome of decoding one file: its size, or why it failed. */
    private record Decoded(ImageFiles.Dimensions dimensions, String error) {
    }

    private Dataset load() {
        readLabels();
        List<String> classes = classList();
        if (spec.regionsCsv() != null) {
            readRegionsCsv(spec.regionsCsv());
        }
        if (spec.cocoJson() != null) {
            readCoco(spec.cocoJson());
        }
        if (spec.masksDir() != null) {
            readMasksDir(spec.masksDir());
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
                imageIdByFile.put(normalise(file), imageId);
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

    private void readRegionsCsv(Path file) {
        String name = show(file);
        if (!Files.isRegularFile(file)) {
            problems.add(name + ": regions file not found; check the path in the data spec");
            return;
        }
        Csv.Table table = Csv.read(file, name);
        List<String> missing = table.missing(REGIONS_CSV_COLUMNS);
        if (!missing.isEmpty()) {
            problems.add(name + " header: columns " + missing + " not found (columns: " + String.join(", ", table.header())
                    + "); a regions CSV needs image_id,x,y,w,h,label and may have region_type,mask_file");
            return;
        }
        for (CSVRecord record : table.records()) {
            String where = name + " row " + record.getRecordNumber();
            String imageId = Csv.get(record, "image_id");
            String type = Csv.get(record, "region_type").isEmpty() ? DEFAULT_REGION_TYPE : Csv.get(record, "region_type");
            String label = Csv.get(record, "label");
            if (!(spec.keepsRegion(type, label) || spec.guidesOnly(type)) || !knownImage(imageId, where)) {
                continue;
            }
            Box box = box(where, Csv.get(record, "x"), Csv.get(record, "y"), Csv.get(record, "w"), Csv.get(record, "h"));
            String mask = Csv.get(record, "mask_file");
            Path maskFile = mask.isEmpty() ? null : root.resolve(mask).normalize();
            if (box != null) {
                regions.add(new RegionOfImage(imageId, new Region(type, label, box, maskFile, where)));
            }
        }
    }

    /** Parses and checks a box; reports and returns null when a value is not a whole number or a size is not positive. */
    private Box box(String where, String x, String y, String w, String h) {
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

    /** Whether regions of this image should be kept; reports ids absent from the labels file. */
    private boolean knownImage(String imageId, String where) {
        if (rows.containsKey(imageId)) {
            return true;
        }
        if (!filteredOutIds.contains(imageId)) {
            problems.add(where + ": image id '" + imageId + "' is not in " + show(spec.labelsFile())
                    + "; fix the id or remove the region");
        }
        return false;
    }

    private void readCoco(Path file) {
        String name = show(file);
        if (!Files.isRegularFile(file)) {
            problems.add(name + ": COCO file not found; check the path in the data spec");
            return;
        }
        JsonNode coco;
        try {
            coco = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : " line " + e.getLocation().getLineNr();
            problems.add(name + line + ": not valid JSON (" + e.getOriginalMessage() + "); fix or re-export the file");
            return;
        } catch (IOException e) {
            problems.add(name + ": cannot read (" + e.getMessage() + "); check the file");
            return;
        }
        Map<Long, String> imageIdOfCocoId = new HashMap<>();
        for (JsonNode image : coco.path("images")) {
            String idString = image.path("image_id_str").asText("");
            String imageId = idString.isEmpty() ? imageIdByFile.get(normalise(image.path("file_name").asText(""))) : idString;
            imageIdOfCocoId.put(image.path("id").asLong(), imageId);
        }
        Map<Long, JsonNode> categories = new HashMap<>();
        coco.path("categories").forEach(category -> categories.put(category.path("id").asLong(), category));

        for (JsonNode annotation : coco.path("annotations")) {
            String where = name + " annotation id " + annotation.path("id").asText("?");
            JsonNode category = categories.get(annotation.path("category_id").asLong());
            if (category == null) {
                problems.add(where + ": category_id " + annotation.path("category_id") + " is not in categories; fix the id");
                continue;
            }
            String label = category.path("name").asText();
            // Per-annotation region_type (e.g. "anatomy_box") refines the category's supercategory when present.
            String type = firstText(annotation.path("region_type"), category.path("supercategory"));
            if (!(spec.keepsRegion(type, label) || spec.guidesOnly(type))) {
                continue;
            }
            long cocoImageId = annotation.path("image_id").asLong();
            String imageId = imageIdOfCocoId.get(cocoImageId);
            if (imageId == null) {
                problems.add(where + ": image_id " + cocoImageId + " matches no image of " + show(spec.labelsFile())
                        + " (by image_id_str or file_name); fix the images entry or remove the annotation");
                continue;
            }
            if (!knownImage(imageId, where)) {
                continue;
            }
            JsonNode bbox = annotation.path("bbox");
            if (bbox.size() != 4 || !Stream.of(0, 1, 2, 3).allMatch(i -> bbox.get(i).isNumber())) {
                problems.add(where + ": bbox " + bbox + " is not [x,y,w,h]; fix the annotation");
                continue;
            }
            // Pixel box covering the (possibly fractional) COCO box.
            int x = (int) Math.floor(bbox.get(0).asDouble());
            int y = (int) Math.floor(bbox.get(1).asDouble());
            int right = (int) Math.ceil(bbox.get(0).asDouble() + bbox.get(2).asDouble());
            int bottom = (int) Math.ceil(bbox.get(1).asDouble() + bbox.get(3).asDouble());
            Box box = box(where, "" + x, "" + y, "" + (right - x), "" + (bottom - y));
            String mask = annotation.path("mask_file").asText("");
            if (box != null) {
                Path maskFile = mask.isEmpty() ? null : root.resolve(mask).normalize();
                regions.add(new RegionOfImage(imageId, new Region(type, label, box, maskFile, where)));
            }
        }
    }

    private void readMasksDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            problems.add(show(dir) + ": masks directory not found; check the path in the data spec");
            return;
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(f -> f.getFileName().toString().toLowerCase().endsWith(".png")).sorted().toList();
        } catch (IOException e) {
            problems.add(show(dir) + ": cannot list masks (" + e.getMessage() + "); check permissions");
            return;
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            String stem = name.substring(0, name.length() - ".png".length());
            String imageId = longestImageIdPrefix(stem);
            if (imageId == null) {
                problems.add(show(file) + ": no image id of " + show(spec.labelsFile())
                        + " matches this name; name masks <image_id>.png or <image_id>_<label>.png");
                continue;
            }
            String label = stem.equals(imageId) ? DEFAULT_REGION_TYPE : stem.substring(imageId.length() + 1);
            if ((spec.keepsRegion(DEFAULT_REGION_TYPE, label) || spec.guidesOnly(DEFAULT_REGION_TYPE))
                    && knownImage(imageId, show(file))) {
                Region region = new Region(DEFAULT_REGION_TYPE, label, null, file.toAbsolutePath().normalize(), show(file));
                regions.add(new RegionOfImage(imageId, region));
            }
        }
    }

    /** The longest labels image id that is the whole stem or is followed by '_' in it. */
    private String longestImageIdPrefix(String stem) {
        for (int end = stem.length(); end > 0; end = stem.lastIndexOf('_', end - 1)) {
            String candidate = stem.substring(0, end);
            if (rows.containsKey(candidate) || filteredOutIds.contains(candidate)) {
                return candidate;
            }
        }
        return null;
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
        for (RegionOfImage regionOfImage : regions) {
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
        for (RegionOfImage r : regions) {
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

    private static String firstText(JsonNode preferred, JsonNode fallback) {
        if (preferred.isTextual() && !preferred.asText().isEmpty()) {
            return preferred.asText();
        }
        return fallback.isTextual() && !fallback.asText().isEmpty() ? fallback.asText() : DEFAULT_REGION_TYPE;
    }

    private static String size(ImageFiles.Dimensions dimensions) {
        return dimensions.width() + "x" + dimensions.height();
    }

    private static String normalise(String relativeFile) {
        return Path.of(relativeFile).normalize().toString();
    }

    /** A path relative to the root when inside it, for messages. */
    private String show(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(root) ? root.relativize(absolute).toString() : absolute.toString();
    }
}
