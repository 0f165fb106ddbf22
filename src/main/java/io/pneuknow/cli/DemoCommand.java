package io.pneuknow.cli;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.DatasetSummary;
import io.pneuknow.data.Fingerprint;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitSpec;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainingMethods;
import io.pneuknow.train.TrainRun;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pneuknow demo}: the embedded default. Generates a synthetic annotated data set with a
 * misleading cue outside the annotated regions, trains a baseline and an HKD model on it and
 * prints their test accuracies, overall and on the test images where the cue disagrees with the
 * label.
 */
@Command(name = "demo", description = {"Generate a synthetic annotated data set, train baseline and HKD on it, print both test accuracies.",
        "Training and validation images carry a misleading cue that agrees with the label; in test images it does not."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "demo-out", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the data and the training (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Engine threads, 0 for all cores.")
    int threads;


    @Override
    public Integer call() throws IOException {
        EngineThreads.set(threads);
        PrintWriter w = spec.commandLine().getOut();
        long start = System.nanoTime();
        Path dataDir = SyntheticChestXrays.generate(out.resolve("data"), SyntheticChestXrays.Spec.shortcutTask(seed));
        DataSpec dataSpec = DataSpec.of(dataDir.toAbsolutePath()).withRegionsCsv(Path.of("regions.csv"))
                .withRegionTypes("lesion").withSplitColumn("split");
        Dataset dataset = DatasetLoader.load(dataSpec);
        w.println("synthetic data set in " + dataDir);
        w.println(DatasetSummary.of(dataset).toTable());
        Split split = Split.fromColumn(dataset, "split");
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                split.samples(dataset, Split.TEST));
        String fingerprint = Fingerprint.of(dataset);
        StringBuilder summary = new StringBuilder();
        // the paper's comparison: the reference and HKD (the other methods are for studies: pneuknow experiment)
        for (String method : List.of(TrainingMethods.BASELINE.name(), TrainingMethods.HKD.name())) {
            TrainConfig config = TrainConfig.shortcutTask(method, "roi", seed, threads);
            Path runDir = out.resolve(method);
            RunConfig run = new RunConfig(dataSpec, new SplitSpec(null, "split", null, 0, 0, 0, seed), config);
            Files.createDirectories(runDir);
            io.pneuknow.data.AtomicFiles.write(runDir.resolve("config.json"), o -> io.pneuknow.Json.MAPPER.writeValue(o, run));
            io.pneuknow.data.SplitCsv.write(split, dataset, runDir.resolve("split.csv"));
            w.println("training " + method + " -> " + runDir);
            w.flush();
            TrainRun.Outcome outcome = new TrainRun(config, new PrintStream(System.err, true)).run(dataset, parts,
                    new TrainRun.Provenance(io.pneuknow.Json.MAPPER.valueToTree(run), fingerprint,
                            "synthetic chest-like images (pneuknow demo)", "pneuknow demo --seed " + seed),
                    runDir, false);
            TrainCommand.printOutcome(w, outcome);
            double conflict = conflictAccuracy(runDir, parts.test());
            summary.append(String.format(Locale.ROOT, "%-8s test accuracy %.3f (all %d test images), %.3f where the cue disagrees with the label%n",
                    method, outcome.testAccuracy(), outcome.testImages(), conflict));
        }
        w.println();
        w.print(summary);
        w.printf(Locale.ROOT, "demo finished in %.0f s; models in %s%n", (System.nanoTime() - start) / 1e9, out);
        w.flush();
        return 0;
    }

    /** Accuracy of the saved model on the test images whose cue points to another class. */
    static double conflictAccuracy(Path modelDir, List<Sample> test) {
        List<Sample> conflict = test.stream().filter(s -> "0".equals(s.attributes().get("cue_agrees"))).toList();
        try (ModelBundle.Loaded loaded = ModelBundle.load(modelDir)) {
            Predictor predictor = new Predictor(loaded);
            int correct = 0;
            for (Sample s : conflict) {
                float[] p = predictor.probabilities(List.of(ImageFiles.read(s.file())))[0];
                correct += Predictor.argmax(p) == s.classIndex() ? 1 : 0;
            }
            return conflict.isEmpty() ? Double.NaN : (double) correct / conflict.size();
        }
    }
}
