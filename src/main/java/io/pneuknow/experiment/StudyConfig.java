package io.pneuknow.experiment;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
 * @param testFolds the folds to use as test parts (null: all)
 */
public record StudyConfig(String name, DataSpec data, int folds, long foldSeed, List<Integer> testFolds,
                          List<String> architectures, List<String> methods, List<Long> seeds, TrainConfig train,
                          int replicates) {

    public static StudyConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": study file not found; check the path given to --config");
        }
        StudyConfig config;
        try {
            config = Json.MAPPER.readValue(file.toFile(), StudyConfig.class);
        } catch (IOException e) {
            String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BadInputException(file + ": not a valid study file (" + first + "); see README for an example");
        }
        return config.validated(file);
    }

    StudyConfig validated(Path file) {
        StringBuilder problems = new StringBuilder();
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
                    StudyMethod.parse(m);
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
        if (!problems.isEmpty()) {
            throw new BadInputException(problems.toString().strip());
        }
        if (train != null) {
            train.validated();
        }
        return this;
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
