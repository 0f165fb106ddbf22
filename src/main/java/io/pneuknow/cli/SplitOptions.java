package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.data.SplitSpec;
import io.pneuknow.data.Splitter;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that choose train, validation and test parts. */
final class SplitOptions {
    @FormerName(value = "--split", since = "0.2.0")
    @Option(names = "--split-file", description = "Split CSV written by 'pneuknow data split' (columns image_id,patient_id,class,part).")
    Path file;

    @Option(names = "--split-column", description = "Use this labels column as the split (train/val/test in any case, also training, valid, validation, dev, holdout; or fold numbers with --test-fold).")
    String column;

    @Option(names = "--folds", description = "Make K patient-grouped, class-stratified folds; --test-fold is test, the next fold validation.")
    Integer folds;

    @Option(names = "--test-fold", description = "Test fold for fold splits (default 0).")
    Integer testFold;

    @Option(names = "--val-fraction", description = "Validation share of a generated hold-out (default 0.15).")
    Double valFraction;

    @Option(names = "--test-fraction", description = "Test share of a generated hold-out (default 0.15).")
    Double testFraction;

    @Option(names = "--split-seed", description = "Seed of a generated split (default 42).")
    Long seed;

    SplitSpec toSpec(SplitSpec base) {
        SplitSpec b = base == null ? SplitSpec.defaults() : base;
        return new SplitSpec(file != null ? file.toAbsolutePath().normalize() : b.file(), column != null ? column : b.column(),
                folds != null ? folds : b.folds(), testFold != null ? testFold : b.testFold(),
                valFraction != null ? valFraction : b.valFraction(), testFraction != null ? testFraction : b.testFraction(),
                seed != null ? seed : b.seed());
    }

    /** The train/val/test split the spec describes; prints per-part class counts and warnings. */
    Split resolve(SplitSpec spec, Dataset dataset, PrintWriter out) {
        Split split;
        if (spec.file() != null) {
            split = SplitCsv.read(spec.file(), dataset);
            if (!split.named()) {
                split = split.forFold(spec.testFold());
            }
        } else if (spec.column() != null) {
            split = Split.ofColumn(dataset, spec.column());
            if (!split.named()) {
                split = split.forFold(spec.testFold());
            }
        } else if (spec.folds() != null) {
            if (spec.folds() < 3) {
                throw new BadInputException("--folds " + spec.folds() + ": need at least 3 folds (test, validation, training)");
            }
            split = Splitter.kFold(dataset, spec.folds(), spec.seed()).forFold(spec.testFold());
        } else {
            double train = 1 - spec.valFraction() - spec.testFraction();
            if (spec.valFraction() <= 0 || spec.testFraction() < 0 || train <= 0) {
                throw new BadInputException("hold-out fractions val " + spec.valFraction() + ", test " + spec.testFraction()
                        + " leave " + train + " for training; choose fractions that sum to less than 1");
            }
            split = Splitter.holdOut(dataset, train, spec.valFraction(), spec.testFraction(), spec.seed());
        }
        out.println(split.countsTable(dataset));
        split.warnings(dataset).forEach(w -> out.println("warning: " + w));
        out.flush();
        return split;
    }
}
