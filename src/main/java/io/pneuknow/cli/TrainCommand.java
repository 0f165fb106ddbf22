package io.pneuknow.cli;

import io.pneuknow.train.EngineThreads;
import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.api.Trainer;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Fingerprint;
import io.pneuknow.data.Split;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainRun;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pneuknow train}: a baseline or an HKD model, from flags or a JSON configuration. */
@Command(name = "train", sortOptions = false,
        description = {"Train a baseline or a Human Knowledge Distillation (HKD) model.",
                "Settings come from flags, or from --config FILE (the config.json a run writes); flags override the file.",
                "The run writes OUT/config.json (fully resolved), OUT/split.csv, the model bundle and a history CSV per stage."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory of the run (the model bundle).")
    Path out;

    @Option(names = "--config", description = "JSON file of settings (data, split, train), as the config.json a run writes.")
    Path config;

    @Option(names = "--resume", description = "Continue the run in --out from its last completed epoch, with its saved config.json.")
    boolean resume;

    @Option(names = "--annotation-snapshot", paramLabel = "SHA256", description = "Record in model.json the annotation "
            + "snapshot the regions file is (its SHA-256; a studio job gives it). Not part of config.json: give it again with --resume.")
    String annotationSnapshot;

    @Mixin
    DataOptions dataOptions = new DataOptions();

    @Mixin
    SplitOptions splitOptions = new SplitOptions();

    @ArgGroup(validate = false, heading = "%nTraining settings (defaults as in Schaudt et al. 2023):%n")
    TrainOptions trainOptions = new TrainOptions();

    @Override
    public Integer call() throws IOException {
        if (annotationSnapshot != null && !annotationSnapshot.matches("[0-9a-f]{64}")) {
            throw new BadInputException("--annotation-snapshot " + annotationSnapshot + ": not a SHA-256 (64 lowercase hex "
                    + "digits); give the snapshot id the studio job recorded");
        }
        RunConfig run = resolve();
        EngineThreads.set(run.train().threads());
        PrintWriter out = spec.commandLine().getOut();
        // a split column given on its own is checked with the labels, where each bad value has its row
        boolean column = run.split().file() == null && run.split().column() != null && run.data().splitColumn() == null;
        Dataset dataset = DatasetLoader.load(column ? run.data().withSplitColumn(run.split().column()) : run.data());
        Split split = splitOptions.resolve(run.split(), dataset, out);
        JsonNode resolved = Json.MAPPER.valueToTree(run);
        Files.createDirectories(this.out);
        AtomicFiles.write(this.out.resolve("config.json"), o -> Json.MAPPER.writeValue(o, run));
        TrainRun.Parts parts = Trainer.parts(dataset, split);
        out.printf("train %d, val %d, test %d images; method %s, %s at %d px%n", parts.train().size(),
                parts.val().size(), parts.test().size(), run.train().method().name(), run.train().architecture(),
                run.train().inputSize());
        out.flush();
        TrainRun.Provenance provenance = new TrainRun.Provenance(resolved, Fingerprint.of(dataset),
                dataset.population(run.data()),
                "pneuknow " + String.join(" ", spec.commandLine().getParseResult().originalArgs()), annotationSnapshot);
        TrainRun.Outcome outcome = new Trainer(run.train(), new PrintStream(System.err, true))
                .train(dataset, split, this.out, provenance, resume).outcome();
        printOutcome(out, outcome);
        return 0;
    }

    static void printOutcome(PrintWriter out, TrainRun.Outcome outcome) {
        var cp = outcome.model().checkpoint();
        if (Double.isNaN(cp.valAccuracy())) {
            out.printf(Locale.ROOT, "%s: kept epoch %d of %d (the last: no validation images)%n", outcome.model().method(),
                    cp.epoch() + 1, cp.epochsTrained());
        } else {
            out.printf(Locale.ROOT, "%s: kept epoch %d of %d (val loss %.4f, val accuracy %.3f)%n",
                    outcome.model().method(), cp.epoch() + 1, cp.epochsTrained(), cp.valLoss(), cp.valAccuracy());
        }
        if (outcome.testImages() > 0) {
            out.printf(Locale.ROOT, "%s: test accuracy %.3f on %d images%n", outcome.model().method(),
                    outcome.testAccuracy(), outcome.testImages());
        }
        if (outcome.teacher() != null && outcome.teacherTestImages() > 0) {
            out.printf(Locale.ROOT, "teacher (oracle, sees ROI images): test accuracy %.3f on %d images with an ROI%n",
                    outcome.teacherTestAccuracy(), outcome.teacherTestImages());
        }
        out.flush();
    }

    /** The configuration: the saved one on --resume, else the --config file (if any) overridden by flags. */
    RunConfig resolve() throws IOException {
        if (resume) {
            Path saved = out.resolve("config.json");
            if (!Files.isRegularFile(saved)) {
                throw new BadInputException(saved + ": nothing to resume here; start the run without --resume");
            }
            return RunConfig.read(saved);
        }
        RunConfig base = config == null ? null : RunConfig.read(config);
        return new RunConfig(dataOptions.toSpec(base == null ? null : base.data()),
                splitOptions.toSpec(base == null ? null : base.split()),
                trainOptions.apply(base == null ? TrainConfig.defaults() : base.train()).validated());
    }
}
