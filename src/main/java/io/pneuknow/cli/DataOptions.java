package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.model.ModelCard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The options that say how to read a data set, shared by every command that reads one. */
final class DataOptions {
    @Option(names = "--data", description = "Data set directory (paths in the labels file are relative to it).")
    Path data;

    @Option(names = "--labels", description = "Labels CSV, relative to --data (default: labels.csv).")
    Path labels;

    @Option(names = "--id-column", description = "Column with the image id (default: image_id).")
    String idColumn;

    @Option(names = "--file-column", description = "Column with the image path (default: file).")
    String fileColumn;

    @Option(names = "--class-column", description = "Column with the class (default: class).")
    String classColumn;

    @Option(names = "--patient-column", description = "Column with the patient id (default: patient_id).")
    String patientColumn;

    @Option(names = "--classes", split = ",", description = "Class list in label order (default: the classes found, sorted).")
    List<String> classes;

    @Option(names = "--where", description = "Keep rows where COLUMN=VALUE (repeatable; all must hold), e.g. recommended_main=1.")
    List<String> where;

    @Option(names = "--regions", description = "Region boxes CSV (image_id,x,y,w,h,label[,region_type,mask_file]), relative to --data.")
    Path regions;

    @Option(names = "--coco", description = "Region boxes as COCO JSON, relative to --data.")
    Path coco;

    @Option(names = "--masks", description = "Directory of binary mask PNGs named <image_id>.png or <image_id>_<label>.png.")
    Path masks;

    @Option(names = "--regions-db", paramLabel = "FILE|URL", description = "Regions from the annotation database: an H2 file relative to --data "
            + "(e.g. annotations.mv.db, written by 'pneuknow annotations import') or a jdbc:postgresql:// URL; "
            + "deleted regions and those a reviewer rejected are not read.")
    String regionsDatabase;

    @Option(names = "--region-type", split = ",", description = "Keep only regions of these types, e.g. lesion.")
    List<String> regionTypes;

    @Option(names = "--region-label", split = ",", description = "Keep only regions with these labels.")
    List<String> regionLabels;

    @Option(names = "--guidance-region-type", split = ",", description = "Region types (e.g. anatomy,anatomy_box: the lungs) the HKD teacher may use for images "
            + "without expert regions; never scored as the expert's regions.")
    List<String> guidanceRegionTypes;

    /** The data spec these options describe, on top of {@code base} (from a config file) when given. */
    DataSpec toSpec(DataSpec base) {
        if (base == null && data == null) {
            throw new BadInputException("no data set given; pass --data DIR (a directory with labels.csv) or --config FILE");
        }
        DataSpec spec = base == null ? DataSpec.of(data.toAbsolutePath().normalize()) : base;
        if (data != null && base != null) {
            throw new BadInputException("--data given together with --config; the config file already names the data set, drop one");
        }
        if (!Files.isDirectory(spec.root())) {
            throw new BadInputException(spec.root() + ": data directory not found; check the path given to --data");
        }
        if (labels != null) {
            spec = spec.withLabelsFile(labels);
        }
        if (idColumn != null || fileColumn != null || classColumn != null || patientColumn != null) {
            spec = spec.withColumns(or(idColumn, spec.imageIdColumn()), or(fileColumn, spec.fileColumn()),
                    or(classColumn, spec.classColumn()), or(patientColumn, spec.patientColumn()));
        }
        if (classes != null) {
            spec = spec.withClasses(classes);
        }
        if (where != null) {
            for (String condition : where) {
                int eq = condition.indexOf('=');
                if (eq <= 0) {
                    throw new BadInputException("--where '" + condition + "' is not COLUMN=VALUE; write e.g. --where recommended_main=1");
                }
                spec = spec.withRowCondition(condition.substring(0, eq).trim(), condition.substring(eq + 1).trim());
            }
        }
        if (regions != null) {
            spec = spec.withRegionsCsv(regions);
        }
        if (coco != null) {
            spec = spec.withCocoJson(coco);
        }
        if (masks != null) {
            spec = spec.withMasksDir(masks);
        }
        if (regionsDatabase != null) {
            spec = spec.withRegionsDatabase(regionsDatabase);
        }
        if (regionTypes != null) {
            spec = spec.withRegionTypes(regionTypes.toArray(String[]::new));
        }
        if (regionLabels != null) {
            spec = spec.withRegionLabels(regionLabels.toArray(String[]::new));
        }
        if (guidanceRegionTypes != null) {
            spec = spec.withGuidanceRegionTypes(guidanceRegionTypes.toArray(String[]::new));
        }
        return spec;
    }

    /**
     * The data set to score a saved model on: these options when --data is given, else the data settings
     * recorded in the model's model.json.
     */
    DataSpec toSpec(Path model, ModelCard card) {
        if (data != null) {
            return toSpec(null);
        }
        if (card.configuration() == null || card.configuration().get("data") == null) {
            throw new BadInputException(model + "/model.json records no data set; pass --data DIR and the data options");
        }
        try {
            return Json.MAPPER.treeToValue(card.configuration(), RunConfig.class).data();
        } catch (IOException e) {
            throw new BadInputException(model + "/model.json: cannot read its data settings (" + e.getMessage()
                    + "); pass --data DIR and the data options");
        }
    }

    private static String or(String value, String fallback) {
        return value != null ? value : fallback;
    }
}
