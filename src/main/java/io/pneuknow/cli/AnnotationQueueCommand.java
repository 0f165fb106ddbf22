package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.data.DataSpec;
import io.pneuknow.queue.QueueSimulation;
import io.pneuknow.queue.Strategy;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.TrainConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pneuknow annotation-queue}: which images to annotate next, and the simulation that compares the strategies. */
@Command(name = "annotation-queue", description = {"What to annotate next: strategies that rank unannotated images for the "
        + "guided model, and a simulation that measures them (simulate)."},
        subcommands = {AnnotationQueueCommand.Simulate.class})
final class AnnotationQueueCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "choose a subcommand: simulate");
    }

    /** {@code pneuknow annotation-queue simulate}. */
    @Command(name = "simulate", description = {"Simulate an annotator who reveals the true regions of a task's training "
            + "images in each strategy's order, in rounds, and plot HKD's test balanced accuracy against the number of "
            + "annotated images per strategy, with 95%% t intervals over seeds.",
            "Every strategy starts from the same seeded set; the round-0 training is shared. Finished cells are never "
            + "trained again: run the same command to resume. Writes results.csv, results.json, annotation-queue.svg "
            + "and summary.md into --out."})
    static final class Simulate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", required = true, description = "Task folder: labels.csv with a split column, and regions.")
        Path data;
        @Option(names = "--regions", defaultValue = "regions.csv", description = "Regions CSV, relative to --data (default ${DEFAULT-VALUE}).")
        String regions;
        @Option(names = "--region-type", split = ",", defaultValue = "lesion", description = "Region types the annotator draws (default ${DEFAULT-VALUE}).")
        List<String> regionTypes;
        @Option(names = "--split-column", defaultValue = "split", description = "Column of labels.csv naming each image's part: train, val or test (default ${DEFAULT-VALUE}).")
        String splitColumn;
        @Option(names = "--no-finding-class", defaultValue = "healthy", description = "Class with nothing to draw: its images are never queued and keep their empty ROI (default ${DEFAULT-VALUE}; '' for none).")
        String noFindingClass;
        @Option(names = "--strategies", defaultValue = "random,stratified,uncertainty,disagreement,coverage,combination",
                description = "Comma-separated strategies (default ${DEFAULT-VALUE}).")
        String strategies;
        @Option(names = "--start", defaultValue = "12", description = "Images annotated before the first round, a seeded random draw shared by the strategies (default ${DEFAULT-VALUE}).")
        int start;
        @Option(names = "--per-round", defaultValue = "12", description = "Images the annotator adds per round (default ${DEFAULT-VALUE}).")
        int perRound;
        @Option(names = "--rounds", defaultValue = "4", description = "Rounds after the start (default ${DEFAULT-VALUE}).")
        int rounds;
        @Option(names = "--seeds", defaultValue = "3", description = "Seeds 1..N: each one's start set and trainings (default ${DEFAULT-VALUE}).")
        int seeds;
        @Option(names = "--no-reference", description = "Skip the two reference lines trained once per seed: the plain method without regions, and HKD with every candidate annotated.")
        boolean noReference;
        @Option(names = "--architecture", defaultValue = "tiny_cnn", description = "Architecture (default ${DEFAULT-VALUE}).")
        String architecture;
        @Option(names = "--input-size", defaultValue = "64", description = "Input size in pixels, a multiple of 32 (default ${DEFAULT-VALUE}).")
        int inputSize;
        @Option(names = "--epochs", defaultValue = "15", description = "Epochs of the student and of the reference (default ${DEFAULT-VALUE}).")
        int epochs;
        @Option(names = "--teacher-epochs", defaultValue = "10", description = "Epochs of the teacher (default ${DEFAULT-VALUE}).")
        int teacherEpochs;
        @Option(names = "--kd-epochs", defaultValue = "10", description = "Epochs over which the feature term's weight decays to 0 (default ${DEFAULT-VALUE}).")
        int kdEpochs;
        @Option(names = "--feature-norm", defaultValue = "raw", description = "How the feature term compares the maps: raw (the reference's MSE), channel or attention (attention transfer), as train's --feature-norm (default ${DEFAULT-VALUE}).")
        String featureNorm;
        @Option(names = "--batch-size", defaultValue = "16", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batchSize;
        @Option(names = "--learning-rate", defaultValue = "0.001", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
        float learningRate;
        @Option(names = "--augment", defaultValue = "weak", description = "none, weak or strong (default ${DEFAULT-VALUE}).")
        String augment;
        @Option(names = "--roi-shape", defaultValue = "box", description = "mask or box (default ${DEFAULT-VALUE}).")
        String roiShape;
        @Option(names = "--threads", defaultValue = "0", description = "Engine threads, 0 for all cores (default ${DEFAULT-VALUE}).")
        int threads;
        @Option(names = "--out", required = true, description = "Simulation folder (outside the repository); created if needed.")
        Path out;

        @Override
        public Integer call() throws IOException {
            if (seeds < 1) {
                throw new BadInputException("--seeds " + seeds + ": give at least 1");
            }
            if (!Files.isDirectory(data)) {
                throw new BadInputException("--data " + data + " is not a folder; give the task's folder (labels.csv, "
                        + regions + ")");
            }
            DataSpec spec = DataSpec.of(data.toAbsolutePath().normalize()).withRegionsCsv(Path.of(regions))
                    .withRegionTypes(regionTypes.toArray(String[]::new)).withSplitColumn(splitColumn);
            TrainConfig train = TrainConfig.builder().architecture(architecture).inputSize(inputSize).epochs(epochs)
                    .teacherEpochs(teacherEpochs).kdEpochs(kdEpochs).featureNorm(featureNorm).batchSize(batchSize).learningRate(learningRate)
                    .augment(augment).roiShape(roiShape).noFindingClass(noFindingClass).unannotated("exclude")
                    .threads(threads).build().validated();
            QueueSimulation.Settings settings = new QueueSimulation.Settings(spec, Strategy.parseList(strategies), start,
                    perRound, rounds, LongStream.rangeClosed(1, seeds).boxed().toList(), train, !noReference);
            EngineThreads.set(train.threads());
            QueueSimulation.run(settings, out, new PrintStream(System.err, true));
            PrintWriter w = spec().getOut();
            w.print(Files.readString(out.resolve("summary.md")));
            w.println("simulation folder: " + out);
            w.println("plot: " + out.resolve("annotation-queue.svg"));
            w.flush();
            return 0;
        }

        private picocli.CommandLine spec() {
            return spec.commandLine();
        }
    }
}
