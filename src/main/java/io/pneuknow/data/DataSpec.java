package io.pneuknow.data;

import io.pneuknow.BadInputException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How to read a data set: where the labels and regions are, which columns mean what, and which rows
 * and regions to keep. Start from {@link #of(Path)} and change what differs with the {@code with}
 * methods; relative paths given to them are resolved against {@code root}.
 *
 * @param root           directory that image, mask and region paths are relative to
 * @param labelsFile     CSV with one row per image
 * @param imageIdColumn  labels column holding the image id
 * @param fileColumn     labels column holding the image path, relative to {@code root}
 * @param classColumn    labels column holding the class name
 * @param patientColumn  labels column holding the patient id
 * @param classes        explicit class list in index order; empty = sorted distinct classes after filtering
 * @param rowFilter      column = value conditions that a labels row must all meet to be kept
 * @param regionsCsv     CSV of boxes (image_id,x,y,w,h,label[,region_type][,mask_file]); null = none
 * @param cocoJson       COCO JSON of boxes; null = none
 * @param masksDir       directory of {@code <image_id>.png} / {@code <image_id>_<label>.png} lesion masks; null = none
 * @param regionTypes    region types to keep; empty = all
 * @param regionLabels   region labels to keep; empty = all
 * @param splitColumn    labels column holding a predefined split (train/val/test or fold numbers); null = none
 * @param guidanceRegionTypes region types (e.g. anatomy: the lungs) kept as weaker guidance for images without
 *                       any region of {@code regionTypes}; empty = none. They never count as the expert's regions
 *                       (evaluation, localisation), only training may use them ({@link Sample#guidanceRegions()}).
 * @param regionsDatabase the annotation database to read regions from ({@link io.pneuknow.annotate}): a {@code jdbc:}
 *                       URL, or an H2 file (relative to {@code root}, kept absolute); null = none
 */
public record DataSpec(Path root, Path labelsFile, String imageIdColumn, String fileColumn, String classColumn,
                       String patientColumn, List<String> classes, Map<String, String> rowFilter, Path regionsCsv,
                       Path cocoJson, Path masksDir, Set<String> regionTypes, Set<String> regionLabels,
                       String splitColumn, Set<String> guidanceRegionTypes, String regionsDatabase) {

    /** Fields left out of a JSON file take their defaults; relative files are resolved against {@code root}. */
    public DataSpec {
        if (root == null) {
            throw new BadInputException("data settings name no root directory; give \"root\" (the data set's folder)");
        }
        labelsFile = labelsFile == null ? root.resolve("labels.csv") : under(root, labelsFile);
        imageIdColumn = imageIdColumn == null ? "image_id" : imageIdColumn;
        fileColumn = fileColumn == null ? "file" : fileColumn;
        classColumn = classColumn == null ? "class" : classColumn;
        patientColumn = patientColumn == null ? "patient_id" : patientColumn;
        classes = classes == null ? List.of() : List.copyOf(classes);
        rowFilter = rowFilter == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(rowFilter));
        regionsCsv = regionsCsv == null ? null : under(root, regionsCsv);
        cocoJson = cocoJson == null ? null : under(root, cocoJson);
        masksDir = masksDir == null ? null : under(root, masksDir);
        regionTypes = regionTypes == null ? Set.of() : Set.copyOf(regionTypes);
        regionLabels = regionLabels == null ? Set.of() : Set.copyOf(regionLabels);
        guidanceRegionTypes = guidanceRegionTypes == null ? Set.of() : Set.copyOf(guidanceRegionTypes);
        if (regionsDatabase != null && regionsDatabase.toLowerCase(java.util.Locale.ROOT).contains("password=")) {
            throw new BadInputException("regions database URL holds a password, which would be written into config.json and "
                    + "model.json; put it in ~/.pgpass (or the file PGPASSFILE names) and drop password= from the URL");
        }
        regionsDatabase = regionsDatabase == null || regionsDatabase.startsWith("jdbc:") ? regionsDatabase
                : under(root, Path.of(regionsDatabase)).toAbsolutePath().normalize().toString();
    }

    /** A file given relative to the data set's folder, or already resolved (absolute, or under root). */
    private static Path under(Path root, Path file) {
        return file.isAbsolute() || file.startsWith(root) ? file : root.resolve(file);
    }

    /** The defaults: {@code root/labels.csv} with columns image_id, file, class, patient_id; no regions, no filters. */
    public static DataSpec of(Path root) {
        return new DataSpec(root, root.resolve("labels.csv"), "image_id", "file", "class", "patient_id",
                List.of(), Map.of(), null, null, null, Set.of(), Set.of(), null, Set.of(), null);
    }

    /** Reads labels from another file. */
    public DataSpec withLabelsFile(Path file) {
        return new DataSpec(root, root.resolve(file), imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, cocoJson, masksDir, regionTypes, regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Uses other column names for image id, file, class and patient. */
    public DataSpec withColumns(String imageId, String file, String className, String patient) {
        return new DataSpec(root, labelsFile, imageId, file, className, patient, classes,
                rowFilter, regionsCsv, cocoJson, masksDir, regionTypes, regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Fixes the class list and its order; rows of other classes become errors. */
    public DataSpec withClasses(List<String> classList) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classList,
                rowFilter, regionsCsv, cocoJson, masksDir, regionTypes, regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Adds a row condition: only rows whose {@code column} equals {@code value} are kept. */
    public DataSpec withRowCondition(String column, String value) {
        Map<String, String> filter = new LinkedHashMap<>(rowFilter);
        filter.put(column, value);
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                filter, regionsCsv, cocoJson, masksDir, regionTypes, regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Reads boxes from a regions CSV. */
    public DataSpec withRegionsCsv(Path file) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, root.resolve(file), cocoJson, masksDir, regionTypes, regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Reads boxes from a COCO JSON file. */
    public DataSpec withCocoJson(Path file) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, root.resolve(file), masksDir, regionTypes, regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Reads lesion masks from a directory of PNGs named after their image id. */
    public DataSpec withMasksDir(Path dir) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, cocoJson, root.resolve(dir), regionTypes, regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Keeps only regions of these types (empty = all). */
    public DataSpec withRegionTypes(String... types) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, cocoJson, masksDir, Set.of(types), regionLabels, splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Keeps only regions with these labels (empty = all). */
    public DataSpec withRegionLabels(String... labels) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, cocoJson, masksDir, regionTypes, Set.of(labels), splitColumn, guidanceRegionTypes, regionsDatabase);
    }

    /** Names the labels column holding a predefined split; the loader checks that it exists and is filled. */
    public DataSpec withSplitColumn(String column) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, cocoJson, masksDir, regionTypes, regionLabels, column, guidanceRegionTypes, regionsDatabase);
    }

    /** The same settings, also keeping regions of these types as guidance for images without expert regions. */
    public DataSpec withGuidanceRegionTypes(String... types) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, cocoJson, masksDir, regionTypes, regionLabels, splitColumn, Set.of(types), regionsDatabase);
    }

    /** Whether a region of this type serves as guidance only (never as the expert's region). */
    public boolean guidesOnly(String type) {
        return guidanceRegionTypes.contains(type) && !regionTypes.contains(type);
    }

    /**
     * Reads regions from the annotation database: a {@code jdbc:} URL (PostgreSQL), or an H2 file relative to
     * {@code root}. Its regions that are deleted or rejected by a reviewer are not read.
     */
    public DataSpec withRegionsDatabase(String fileOrUrl) {
        return new DataSpec(root, labelsFile, imageIdColumn, fileColumn, classColumn, patientColumn, classes,
                rowFilter, regionsCsv, cocoJson, masksDir, regionTypes, regionLabels, splitColumn, guidanceRegionTypes,
                fileOrUrl);
    }

    /** Whether a region of this type and label passes the region filter. */
    public boolean keepsRegion(String type, String label) {
        return (regionTypes.isEmpty() || regionTypes.contains(type))
                && (regionLabels.isEmpty() || regionLabels.contains(label));
    }
}
