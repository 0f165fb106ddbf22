package io.pneuknow.data;

import java.nio.file.Path;

/**
 * How a run gets its train/validation/test parts, in order of precedence: a split CSV written
 * earlier ({@code file}); a split column of the labels file ({@code column}: train/val/test, or
 * fold numbers with {@code testFold}); k patient-grouped folds from {@code seed} ({@code folds},
 * with {@code testFold} as test and the next fold as validation); else a patient-grouped hold-out
 * with the given fractions from {@code seed}.
 */
public record SplitSpec(Path file, String column, Integer folds, int testFold, double valFraction,
                        double testFraction, long seed) {
    public static SplitSpec defaults() {
        return new SplitSpec(null, null, null, 0, 0.15, 0.15, 42);
    }
}
