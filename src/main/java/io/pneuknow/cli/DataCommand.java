package io.pneuknow.cli;

import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.DatasetSummary;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.data.Splitter;
import io.pneuknow.data.ShortcutKind;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.data.SyntheticTaskList;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pneuknow data}: check a data set, and make splits. */
@Command(name = "data", description = "Check a data set or make a patient-grouped split.",
        subcommands = {DataCommand.Check.class, DataCommand.MakeSplit.class, DataCommand.Synthetic.class})
final class DataCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** {@code pneuknow data} alone: a usage error that names the subcommands. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "choose a command: " + String.join(", ",
                spec.subcommands().keySet()));
    }

    /** {@code pneuknow data synthetic}. */
    @Command(name = "synthetic", description = {"Generate the synthetic annotated shortcut data set (the demo's).",
            "Writes labels.csv, regions.csv, images/ and masks/. Lesions are annotated; a misleading cue outside the "
                    + "regions (by default a grey corner marker) agrees with the class in train and val and is random in "
                    + "test (column split), so a model that learned the cue fails on test.",
            "With --task-list FILE: every task of the list, each into OUT/NAME (see docs/examples/shortcut-tasks/)."})
    static final class Synthetic implements Callable<Integer> {
        /** The options that set one task; a task list sets them per task. */
        static final java.util.List<String> TASK_OPTIONS = java.util.List.of("--image-size", "--train", "--val", "--test",
                "--unannotated-fraction", "--cue-level", "--seed", "--shortcut", "--lesion-variety");

        @Spec
        CommandSpec spec;

        @Option(names = "--out", required = true, description = "Folder to write (created; must be empty or absent). "
                + "With --task-list the parent of one folder per task.")
        Path out;
        @Option(names = "--task-list", description = "JSON list of tasks (e.g. docs/examples/shortcut-tasks/frozen.json) "
                + "to write, each into OUT/NAME; its content hashes are checked. Excludes the per-task options.")
        Path taskList;
        @Option(names = "--shortcut", defaultValue = "marker", description = "Kind of misleading cue, always outside the "
                + "lungs and regions: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).",
                completionCandidates = ShortcutNames.class)
        String shortcut;
        @Option(names = "--lesion-variety", description = "One to three lesions per pathological image, of varied size, "
                + "shape and appearance (default: one round lesion).")
        boolean lesionVariety;
        @FormerName(value = "--size", since = "0.2.0")
        @Option(names = "--image-size", defaultValue = "64", description = "Image width and height in pixels (default ${DEFAULT-VALUE}).")
        int imageSize;
        @Option(names = "--train", defaultValue = "80", description = "Training images per class (default ${DEFAULT-VALUE}).")
        int train;
        @Option(names = "--val", defaultValue = "20", description = "Validation images per class (default ${DEFAULT-VALUE}).")
        int val;
        @Option(names = "--test", defaultValue = "40", description = "Test images per class (default ${DEFAULT-VALUE}).")
        int test;
        @FormerName(value = "--unannotated", since = "0.2.0")
        @Option(names = "--unannotated-fraction", defaultValue = "0.1", description = "Share of pathological training images without a region (default ${DEFAULT-VALUE}).")
        double unannotatedFraction;
        @Option(names = "--cue-level", defaultValue = "0.7", description = "Strength of the misleading cue: the grey level of a drawn "
                + "cue (marker, text, tag, border, corner pattern; background is 0.08); 0.1 x it is the texture's amplitude, 0.15 x it "
                + "the brightness shift outside the lungs (default ${DEFAULT-VALUE}).")
        double cueLevel;
        @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() throws IOException {
            if (taskList != null) {
                return writeTaskList();
            }
            ShortcutKind kind = ShortcutKind.of(shortcut);
            if (imageSize < 32 || train < 1 || val < 1 || test < 1 || unannotatedFraction < 0 || unannotatedFraction > 1 || cueLevel < 0 || cueLevel > 1) {
                throw new io.pneuknow.BadInputException("synthetic data: need --image-size >= 32, at least 1 image per class and part,"
                        + " --unannotated-fraction and --cue-level in [0, 1]; got size " + imageSize + ", " + train + "/" + val + "/" + test
                        + ", " + unannotatedFraction + ", " + cueLevel);
            }
            if (java.nio.file.Files.exists(out) && (!java.nio.file.Files.isDirectory(out)
                    || java.nio.file.Files.list(out).findAny().isPresent())) {
                throw new io.pneuknow.BadInputException(out + " exists and is not an empty folder; choose a new --out");
            }
            SyntheticChestXrays.generate(out, new SyntheticChestXrays.Spec(imageSize, train, val, test, unannotatedFraction,
                    cueLevel, seed, kind, lesionVariety));
            PrintWriter w = spec.commandLine().getOut();
            w.println("wrote " + 3 * (train + val + test) + " images to " + out
                    + " (labels.csv with split column 'split'; regions.csv with lesion regions)");
            w.flush();
            return 0;
        }

        private int writeTaskList() {
            java.util.List<String> given = TASK_OPTIONS.stream()
                    .filter(o -> spec.commandLine().getParseResult().hasMatchedOption(o)).toList();
            if (!given.isEmpty()) {
                throw new io.pneuknow.BadInputException("--task-list sets every task's options itself; remove "
                        + String.join(", ", given) + " (or drop --task-list to write one task)");
            }
            SyntheticTaskList list = SyntheticTaskList.read(taskList);
            PrintWriter w = spec.commandLine().getOut();
            for (SyntheticTaskList.Written task : list.generate(out)) {
                w.println("wrote " + task.images() + " images to " + task.folder() + " (" + task.task().shortcut()
                        + ", seed " + task.task().seed() + "; content sha256 " + task.contentSha256()
                        + (task.task().contentSha256() != null ? ", as the list says)" : ")"));
            }
            w.println("wrote " + list.tasks().size() + " tasks of list '" + list.name() + "' to " + out);
            w.flush();
            return 0;
        }
    }

    /** The shortcut kinds' option names, for {@code --shortcut}'s help. */
    static final class ShortcutNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(ShortcutKind.values()).map(ShortcutKind::optionName).iterator();
        }
    }

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
    @Command(name = "split", description = {"Make a patient-grouped, class-stratified split and save it as CSV for later runs (train --split-file FILE).",
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

        @FormerName(value = "--seed", since = "0.2.0")
        @Option(names = "--split-seed", defaultValue = "42", description = "Seed of the split (default ${DEFAULT-VALUE}).")
        long splitSeed;

        @FormerName(value = "--out", since = "0.2.0")
        @Option(names = "--split-file", required = true, description = "Split CSV to write.")
        Path splitFile;

        @Override
        public Integer call() throws IOException {
            Dataset dataset = DatasetLoader.load(data.toSpec(null));
            Split split = folds != null ? Splitter.kFold(dataset, folds, splitSeed)
                    : Splitter.holdOut(dataset, 1 - valFraction - testFraction, valFraction, testFraction, splitSeed);
            PrintWriter w = spec.commandLine().getOut();
            w.println(split.countsTable(dataset));
            split.warnings(dataset).forEach(x -> w.println("warning: " + x));
            SplitCsv.write(split, dataset, splitFile);
            w.println("split written to " + splitFile);
            w.flush();
            return 0;
        }
    }
}
