package io.pneuknow.cli;

import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.DatasetSummary;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.data.Splitter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pneuknow data}: check a data set, and make splits. */
@Command(name = "data", description = "Check a data set or make a patient-grouped split.",
        subcommands = {DataCommand.Check.class, DataCommand.MakeSplit.class})
final class DataCommand {

    /** {@code pneuknow data check}. */
    @Command(name = "check", description = {"Read and validate a data set; print images, patients and annotated images per class.",
            "Every problem (missing or undecodable file, unknown class, duplicate id, box outside its image, ...) is reported at once."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DataOptions data = new DataOptions();

        @Override
        public Integer call() {
            Dataset dataset = DatasetLoader.load(data.toSpec(null));
            PrintWriter out = spec.commandLine().getOut();
            out.println(DatasetSummary.of(dataset).toTable());
            out.flush();
            return 0;
        }
    }

    /** {@code pneuknow data split}. */
    @Command(name = "split", description = {"Make a patient-grouped, class-stratified split and save it as CSV for later runs (--split FILE).",
            "With --folds K: K folds (parts 0..K-1); otherwise a train/val/test hold-out."})
    static final class MakeSplit implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DataOptions data = new DataOptions();

        @Option(names = "--folds", description = "Number of folds; without it, a train/val/test hold-out.")
        Integer folds;

        @Option(names = "--val-fraction", defaultValue = "0.15", description = "Validation share of a hold-out (default ${DEFAULT-VALUE}).")
        double valFraction;

        @Option(names = "--test-fraction", defaultValue = "0.15", description = "Test share of a hold-out (default ${DEFAULT-VALUE}).")
        double testFraction;

        @Option(names = "--seed", defaultValue = "42", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", required = true, description = "Split CSV to write.")
        Path out;

        @Override
        public Integer call() throws IOException {
            Dataset dataset = DatasetLoader.load(data.toSpec(null));
            Split split = folds != null ? Splitter.kFold(dataset, folds, seed)
                    : Splitter.holdOut(dataset, 1 - valFraction - testFraction, valFraction, testFraction, seed);
            PrintWriter w = spec.commandLine().getOut();
            w.println(split.countsTable(dataset));
            split.warnings(dataset).forEach(x -> w.println("warning: " + x));
            SplitCsv.write(split, dataset, out);
            w.println("split written to " + out);
            w.flush();
            return 0;
        }
    }
}
