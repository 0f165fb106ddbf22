package io.pneuknow.experiment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A study file (plain JSON): the data set, k patient-grouped folds from a seed (each fold is the
 * test part once, the next fold its validation part, so test images never choose a checkpoint),
 * the grid of architectures, methods and seeds, and the base training settings.
 *
 * <p>Methods: {@code baseline}, {@code hkd}, {@code hkd-raw-teacher} (the teacher sees raw
 * images), {@code hkd-shuffled-roi} (the teacher sees this image inside another image's region),
 * {@code hkd-fraction-F} (the teacher uses the regions of a share F of the annotated images).
 *
 * <p>With a split column in the data settings ({@code data.splitColumn}) the study uses that split
 * instead of generated folds: train/val/test values give one fixed split (cells differ by seed
 * only; {@code folds} is ignored), fold numbers give those folds.
 *
 * <p>Variants: {@code "variants": {"imbalance": {"sampling": "class-balanced", "selectBy":
 * "balanced-accuracy"}}} names sets of training settings that override the base settings
 * ({@code train}) for methods written {@code BASE+NAME} ({@code hkd+imbalance}); several apply in
 * order ({@code hkd+imbalance+pretrained}). The grid's own fields (method, teacher input,
 * architecture, seed, annotation fraction) cannot be overridden. One data setting may be set by a
 * variant too: {@code "guidanceRegionTypes": ["anatomy"]} gives that method's training images
 * without expert regions those regions as guidance (the study's folds and test images stay the same).
 *
 * @param testFolds the folds to use as test parts (null: all)
 * @param variants named overrides of training settings (null: none)
 * @param comparisons extra pairs {@code [method, reference]} for the primary comparison's table,
 *     beside each method against its default reference (e.g. {@code ["hkd+lungs", "hkd"]}); null: none
 */
public record StudyConfig(String name, DataSpec data, int folds, long foldSeed, List<Integer> testFolds,
                          List<String> architectures, List<String> methods, List<Long> seeds, TrainConfig train,
                          int replicates, Map<String, ObjectNode> variants, List<List<String>> comparisons) {
    /** Training settings a variant may not set: the grid sets them per cell. */
    static final Set<String> GRID_FIELDS = Set.of("method.name", "method.teacherInput", "model.architecture",
            "optimisation.seed", "method.teacherFraction", "method.regionsKeptFraction");
    /** The data setting a variant may set: region types used as guidance where no expert region is drawn. */
    static final String GUIDANCE = "guidanceRegionTypes";

    /** A study without variants. */
    public StudyConfig(String name, DataSpec data, int folds, long foldSeed, List<Integer> testFolds,
                       List<String> architectures, List<String> methods, List<Long> seeds, TrainConfig train,
                       int replicates) {
        this(name, data, folds, foldSeed, testFolds, architectures, methods, seeds, train, replicates, null, null);
    }

    /** A study without extra comparisons. */
    public StudyConfig(String name, DataSpec data, int folds, long foldSeed, List<Integer> testFolds,
                       List<String> architectures, List<String> methods, List<Long> seeds, TrainConfig train,
                       int replicates, Map<String, ObjectNode> variants) {
        this(name, data, folds, foldSeed, testFolds, architectures, methods, seeds, train, replicates, variants, null);
    }

    /** The study file, checked; notes (an earlier form read, a changed name) go to standard error. */
    public static StudyConfig read(Path file) {
        return read(file, System.err::println);
    }

    /**
     * The study file, checked; one-line notes go to {@code note}: training settings in an earlier form
     * ({@link TrainConfig#fromJson}), and a {@code hkd-fraction-F} method, which earlier study files used
     * for what is now {@code hkd-regions-kept-F}.
     */
    public static StudyConfig read(Path file, java.util.function.Consumer<String> note) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": study file not found; check the path given to --config");
        }
        StudyConfig config;
        List<String> fieldProblems = new java.util.ArrayList<>();
        try {
            com.fasterxml.jackson.databind.JsonNode tree = Json.MAPPER.readTree(file.toFile());
            if (tree instanceof ObjectNode study) {
                fieldProblems = withTrainingDefaults(study, file, note);
            }
            config = Json.MAPPER.treeToValue(tree, StudyConfig.class);
        } catch (IOException e) {
            String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BadInputException(file + ": not a valid study file (" + first + "); see README for an example");
        }
        StudyConfig checked = config.validated(file, fieldProblems);
        checked.methods().stream().map(StudyMethod::parse).filter(m -> m.teacherFraction() < 1).findFirst()
                .ifPresent(m -> note.accept(file + ": " + m.baseName() + " is the reference's annotation-fraction"
                        + " control (the teacher on a share " + m.teacherFraction() + " of the training images for"
                        + " proportionally more epochs, the student on all); in earlier study files it named the"
                        + " regions-kept variant, now "
                        + m.baseName().replace("-fraction-", "-regions-kept-")));
        return checked;
    }

    /**
     * Checks the training settings of a study file ({@code train} and each variant) by field name, type
     * and value, naming the field of each problem, and fills the settings {@code train} leaves out with
     * their defaults ({@link TrainConfig#fromJson}). Returns the problems, one line each; with problems,
     * {@code train} becomes the defaults, so that the rest of the file is still checked.
     */
    private static List<String> withTrainingDefaults(ObjectNode study, Path file,
                                                     java.util.function.Consumer<String> note) {
        List<String> problems = new java.util.ArrayList<>(TrainConfig.jsonProblems(study.get("train"), file + ": train"));
        if (study.get("variants") instanceof ObjectNode variants) {
            variants.fields().forEachRemaining(v -> {
                if (v.getValue() instanceof ObjectNode settings) {
                    ObjectNode training = settings.deepCopy();
                    training.remove(GUIDANCE);
                    problems.addAll(TrainConfig.jsonProblems(training, file + ": variants." + v.getKey()));
                }
            });
        }
        if (study.get("train") instanceof ObjectNode train) {
            study.set("train", Json.MAPPER.valueToTree(problems.isEmpty() ? TrainConfig.fromJson(train, file + ": train", note)
                    : TrainConfig.defaults()));
        }
        return problems;
    }

    StudyConfig validated(Path file) {
        return validated(file, List.of());
    }

    /** Checks the settings; {@code fieldProblems} (lines found while reading the file) are reported with the rest. */
    private StudyConfig validated(Path file, List<String> fieldProblems) {
        StringBuilder problems = new StringBuilder();
        fieldProblems.forEach(line -> problems.append(line).append('\n'));
        if (data == null) {
            problems.append(file).append(": 'data' is missing; give the data set as in a training run's config.json\n");
        }
        if (train == null) {
            problems.append(file).append(": 'train' is missing; give the base training settings\n");
        }
        if (folds < 3 && (data == null || data.splitColumn() == null)) {
            problems.append(file).append(": folds ").append(folds).append(" must be at least 3 (test, validation, training)\n");
        }
        if (architectures == null || architectures.isEmpty() || methods == null || methods.isEmpty()
                || seeds == null || seeds.isEmpty()) {
            problems.append(file).append(": architectures, methods and seeds must each list at least one value\n");
        } else {
            for (String m : methods) {
                try {
                    for (String v : StudyMethod.parse(m).variants()) {
                        if (variants == null || !variants.containsKey(v)) {
                            problems.append(file).append(": method '").append(m).append("' names variant '").append(v)
                                    .append("', which \"variants\" does not define\n");
                        }
                    }
                } catch (BadInputException e) {
                    problems.append(file).append(": ").append(e.getMessage()).append('\n');
                }
            }
        }
        if (testFolds != null) {
            for (int f : testFolds) {
                if (f < 0 || (f >= folds && (data == null || data.splitColumn() == null))) {
                    problems.append(file).append(": test fold ").append(f).append(" is outside 0..").append(folds - 1).append('\n');
                }
            }
        }
        if (comparisons != null) {
            for (List<String> pair : comparisons) {
                if (pair == null || pair.size() != 2 || methods == null || !methods.containsAll(pair)) {
                    problems.append(file).append(": comparison ").append(pair)
                            .append(" must be [method, reference], both listed in \"methods\"\n");
                }
            }
        }
        if (variants != null) {
            variants.forEach((v, settings) -> {
                if (settings.has(GUIDANCE) && (!settings.get(GUIDANCE).isArray() || settings.get(GUIDANCE).isEmpty())) {
                    problems.append(file).append(": variant '").append(v).append("' gives ").append(GUIDANCE)
                            .append(" as ").append(settings.get(GUIDANCE)).append("; give a list of region types, e.g. [\"anatomy\"]\n");
                }
                ObjectNode training = settings.deepCopy();
                training.remove(GUIDANCE);
                TrainConfig.givenPaths(training).forEach((path, written) -> {
                    if (GRID_FIELDS.contains(path)) {
                        problems.append(file).append(": variant '").append(v).append("' sets ").append(written)
                                .append(", which the grid sets per cell; remove it (use methods, architectures or seeds)\n");
                    }
                });
            });
        }
        if (!problems.isEmpty()) {
            throw new BadInputException(problems.toString().strip());
        }
        if (train != null) {
            train.validated();
            for (String m : methods) {
                trainFor(StudyMethod.parse(m)).validated();
            }
        }
        return this;
    }

    /** The base training settings with the method's variants applied, in order (before the grid's fields). */
    TrainConfig trainFor(StudyMethod method) {
        if (method.variants().isEmpty()) {
            return train;
        }
        TrainConfig merged = train;
        for (String v : method.variants()) {
            ObjectNode settings = variants.get(v).deepCopy();
            settings.remove(GUIDANCE);
            try {
                merged = merged.with(settings);
            } catch (BadInputException e) {
                throw new BadInputException("method '" + method.name() + "': its variants do not give valid training"
                        + " settings (" + e.getMessage().lines().findFirst().orElse("") + "); check the names and values"
                        + " under \"variants\"");
            }
        }
        return merged;
    }

    /** The data settings of a method's cells: the study's, with guidance region types from its variants (the last wins). */
    DataSpec dataFor(StudyMethod method) {
        DataSpec spec = data;
        for (String v : method.variants()) {
            ObjectNode settings = variants.get(v);
            if (settings.has(GUIDANCE)) {
                List<String> types = new java.util.ArrayList<>();
                settings.get(GUIDANCE).forEach(t -> types.add(t.asText()));
                spec = spec.withGuidanceRegionTypes(types.toArray(String[]::new));
            }
        }
        return spec;
    }

    /** The test folds to run out of {@code available} folds. */
    List<Integer> foldsToRun(int available) {
        if (testFolds != null && testFolds.stream().anyMatch(f -> f >= available)) {
            throw new BadInputException("test folds " + testFolds + " but the split has " + available
                    + " folds (0.." + (available - 1) + "); fix testFolds");
        }
        return testFolds != null ? testFolds : java.util.stream.IntStream.range(0, available).boxed().toList();
    }

    int bootstrapReplicates() {
        return replicates > 0 ? replicates : 1000;
    }
}
