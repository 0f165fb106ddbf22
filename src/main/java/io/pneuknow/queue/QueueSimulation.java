package io.pneuknow.queue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.api.Trainer;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * The annotation queue's simulation: an annotator who reveals the true regions of the images a strategy asks for,
 * in rounds, on a task whose regions are all known (the shortcut tasks).
 *
 * <p>Per seed: a seeded draw of {@code start} candidates is annotated first, the same for every strategy; round 0
 * trains HKD on it once (the cell {@code seed-S/start}), shared by the strategies. Round r of a strategy (cell
 * {@code seed-S/STRATEGY/round-R}) asks the strategy for a ranking of the candidates still unannotated, using the
 * probabilities the previous round's models gave them (stored in that cell's {@code candidates.json}; the ranking
 * is always computed from that file), reveals the first {@code perRound} and trains HKD again from scratch, with
 * the seed's weights. Optionally once per seed, two lines to compare: the reference method without any regions
 * (cell {@code seed-S/}{@link #referenceName()}), and HKD with every candidate annotated (cell
 * {@code seed-S/all-regions}), the most any strategy can reach on the task.
 *
 * <p>What a training sees ({@link #maskedDataset}): the training images keep their regions only when annotated;
 * the others are region-less, so with {@code method.unannotated exclude} the teacher trains on the annotated images'
 * ROI views (and the no-finding class's empty views, which need no drawing: the class label says there is nothing
 * to draw) and the student's feature term has weight zero on the region-less images, whose cross-entropy it still
 * learns from. This differs from the reference's annotation-fraction protocol ({@code hkd-fraction-F}), where the
 * student also distils on the ROI views of the images the teacher did not train on: those views need the regions,
 * which an unannotated image in a real queue does not have. Validation images keep their regions (a fixed,
 * annotated validation set, not counted as annotation work) and choose every stage's kept epoch; test images only
 * score. Candidates are the training images not of the no-finding class; a candidate without a true region (a
 * pathological image the expert could not localise) counts as annotated when picked but gains nothing.
 *
 * <p>Every cell is resumable: {@code cell.json} is written last, and a cell that has it is never trained again; an
 * interrupted cell resumes its training from its last epoch's checkpoint, and a finished cell's checkpoints are
 * deleted (the model, the teacher and their histories stay).
 */
public final class QueueSimulation {
    /** The name of the shared start cell's strategy. */
    public static final String START = "start";
    /** The name of the upper reference line's cells: HKD with every candidate's regions. */
    public static final String ALL_REGIONS = "all-regions";
    static final String CELL = "cell.json";
    static final String CANDIDATES = "candidates.json";
    static final String SETTINGS = "simulation-settings.json";

    /**
     * What to simulate.
     *
     * @param data the task; its {@code splitColumn} names the train, val and test parts
     * @param train the training settings (method, seed and shares are set per cell: HKD or the reference, the cell's
     *     seed, every training image for the teacher)
     * @param seeds the seeds: each one's start set and trainings
     * @param reference whether to train the two reference lines once per seed: the reference method without regions
     *     and HKD with every candidate's regions
     */
    public record Settings(DataSpec data, List<Strategy> strategies, int start, int perRound, int rounds,
                           List<Long> seeds, TrainConfig train, boolean reference) {
        public Settings {
            strategies = List.copyOf(strategies);
            seeds = List.copyOf(seeds);
            if (strategies.isEmpty()) {
                throw new BadInputException("no strategy given; name at least one of " + Strategy.names());
            }
            if (start < 1 || perRound < 1 || rounds < 1) {
                throw new BadInputException("start " + start + ", per round " + perRound + ", rounds " + rounds
                        + ": each must be at least 1");
            }
            if (seeds.isEmpty() || new HashSet<>(seeds).size() != seeds.size()) {
                throw new BadInputException("seeds " + seeds + ": give at least one, each once");
            }
            if (data.splitColumn() == null) {
                throw new BadInputException("the simulation needs the task's own split (train, val, test parts); name its"
                        + " column, e.g. split");
            }
        }
    }

    private final Settings settings;
    private final Path out;
    private final PrintStream log;
    private final Dataset dataset;
    private final Split split;
    private final List<Sample> train;
    private final List<Sample> candidates;
    private final String noFinding;

    private QueueSimulation(Settings settings, Path out, PrintStream log) {
        this.settings = settings;
        this.out = out;
        this.log = log;
        this.dataset = DatasetLoader.load(settings.data());
        this.split = Split.ofColumn(dataset, settings.data().splitColumn());
        this.train = split.samples(dataset, Split.TRAIN);
        this.noFinding = settings.train().noFindingClass();
        if (noFinding != null && !noFinding.isEmpty() && !dataset.classes().contains(noFinding)) {
            throw new BadInputException("no-finding class '" + noFinding + "' is not a class of " + settings.data().root()
                    + " (" + String.join(", ", dataset.classes()) + "); name one of them, or '' for none");
        }
        this.candidates = train.stream().filter(s -> !s.className().equals(noFinding)).toList();
        int needed = settings.start() + settings.rounds() * settings.perRound();
        if (needed > candidates.size()) {
            throw new BadInputException("start " + settings.start() + " + rounds " + settings.rounds() + " x per round "
                    + settings.perRound() + " = " + needed + " images, but the training part has only " + candidates.size()
                    + " candidates (images not of the no-finding class); ask for fewer");
        }
        if (split.samples(dataset, Split.TEST).isEmpty() || split.samples(dataset, Split.VAL).isEmpty()) {
            throw new BadInputException(settings.data().root() + ": the split column " + settings.data().splitColumn()
                    + " leaves no val or no test images; the simulation scores on test and chooses epochs on val");
        }
    }

    /** The name of the reference line's cells: the reference method's, trained without regions. */
    public static String referenceName() {
        return TrainingMethods.reference().name();
    }

    /**
     * Runs (or resumes) every cell, then writes the results (results.csv, results.json, annotation-queue.svg,
     * summary.md); returns every cell, the start and reference cells included.
     */
    public static List<SimulationCell> run(Settings settings, Path out, PrintStream log) throws IOException {
        return new QueueSimulation(settings, out, log).runAll();
    }

    private List<SimulationCell> runAll() throws IOException {
        Files.createDirectories(out);
        checkSettings();
        List<SimulationCell> cells = new ArrayList<>();
        int total = settings.seeds().size() * (1 + settings.strategies().size() * settings.rounds()
                + (settings.reference() ? 2 : 0));
        int[] done = {0};
        log.printf(Locale.ROOT, "annotation queue: %d training images (%d candidates), start %d, %d per round, %d rounds,"
                        + " strategies %s, seeds %s: %d cells%n", train.size(), candidates.size(), settings.start(),
                settings.perRound(), settings.rounds(), settings.strategies().stream().map(Strategy::cliName).toList(),
                settings.seeds(), total);
        for (long seed : settings.seeds()) {
            Path seedDir = out.resolve("seed-" + seed);
            if (settings.reference()) {
                cells.add(cell(seedDir.resolve(referenceName()), referenceName(), seed, 0, List.of(), List.of(), ++done[0],
                        total));
                cells.add(cell(seedDir.resolve(ALL_REGIONS), ALL_REGIONS, seed, 0,
                        candidates.stream().map(Sample::imageId).sorted().toList(), List.of(), ++done[0], total));
            }
            SimulationCell start = cell(seedDir.resolve(START), START, seed, 0, startSet(seed), List.of(), ++done[0], total);
            cells.add(start);
            for (Strategy strategy : settings.strategies()) {
                Path previous = seedDir.resolve(START);
                SimulationCell last = start;
                for (int round = 1; round <= settings.rounds(); round++) {
                    List<String> picked = picks(strategy, previous, last, seed, round);
                    List<String> annotated = new ArrayList<>(last.annotatedIds());
                    annotated.addAll(picked);
                    Path dir = seedDir.resolve(strategy.cliName()).resolve("round-" + round);
                    last = cell(dir, strategy.cliName(), seed, round, annotated, picked, ++done[0], total);
                    cells.add(last);
                    previous = dir;
                }
            }
        }
        SimulationReport.write(out, settings, train.size(), candidates.size(), cells);
        return cells;
    }

    /** A simulation folder keeps its settings: resuming with other settings would mix incomparable cells. */
    private void checkSettings() throws IOException {
        ObjectNode fixed = Json.MAPPER.createObjectNode();
        fixed.set("data", Json.MAPPER.valueToTree(settings.data()));
        fixed.put("start", settings.start());
        fixed.put("perRound", settings.perRound());
        fixed.set("train", Json.MAPPER.valueToTree(settings.train()));
        Path file = out.resolve(SETTINGS);
        String text = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(fixed);
        if (Files.exists(file)) {
            // compared as read back from text, so that number node types (float or double) do not matter
            JsonNode stored = Json.MAPPER.readTree(file.toFile());
            if (!stored.equals(Json.MAPPER.readTree(text))) {
                throw new BadInputException(out + " holds a simulation with other data, start, per-round or training"
                        + " settings (" + file + "); use another --out, or the settings stored there");
            }
        } else {
            AtomicFiles.writeString(file, text);
        }
    }

    /** The seed's start set: the first {@code start} candidates (sorted by id) in a shuffle seeded by the seed. */
    List<String> startSet(long seed) {
        List<String> ids = new ArrayList<>(candidates.stream().map(Sample::imageId).sorted().toList());
        Collections.shuffle(ids, new Random(seed));
        return List.copyOf(ids.subList(0, settings.start()));
    }

    /** The seed of a strategy's ranking in a round, distinct per (seed, round). */
    static long rankingSeed(long seed, int round) {
        return seed * 1_000_003L + round;
    }

    /** The next {@code perRound} images of the strategy's ranking of the previous cell's stored candidates. */
    private List<String> picks(Strategy strategy, Path previousDir, SimulationCell previous, long seed, int round)
            throws IOException {
        List<Candidate> stored = readCandidates(previousDir);
        return List.copyOf(strategy.rank(stored, annotatedPerClass(previous.annotatedIds()), rankingSeed(seed, round))
                .subList(0, settings.perRound()));
    }

    /** The candidates stored by a finished cell (those still unannotated after it, with its models' probabilities). */
    public static List<Candidate> readCandidates(Path cellDir) throws IOException {
        return Json.MAPPER.readValue(cellDir.resolve(CANDIDATES).toFile(), new TypeReference<List<Candidate>>() { });
    }

    /** A finished cell's record. */
    public static SimulationCell readCell(Path cellDir) throws IOException {
        return Json.MAPPER.readValue(cellDir.resolve(CELL).toFile(), SimulationCell.class);
    }

    int[] annotatedPerClass(List<String> annotated) {
        Set<String> ids = new HashSet<>(annotated);
        int[] counts = new int[dataset.classes().size()];
        train.stream().filter(s -> ids.contains(s.imageId())).forEach(s -> counts[s.classIndex()]++);
        return counts;
    }

    /** Trains and scores one cell, unless it finished before. */
    private SimulationCell cell(Path dir, String strategy, long seed, int round, List<String> annotated,
                                List<String> picked, int number, int total) throws IOException {
        String what = String.format(Locale.ROOT, "[%d/%d] seed %d %s round %d: %d annotated", number, total, seed,
                strategy, round, annotated.size());
        if (Files.exists(dir.resolve(CELL))) {
            SimulationCell done = readCell(dir);
            if (!done.annotatedIds().equals(annotated)) {
                throw new BadInputException(dir + " was trained on another annotated set than this run asks for; remove"
                        + " that folder (or use another --out) to train it again");
            }
            log.printf(Locale.ROOT, "%s: finished before, test balanced accuracy %.3f (kept)%n", what,
                    done.testBalancedAccuracy());
            return done;
        }
        long began = System.nanoTime();
        boolean reference = strategy.equals(referenceName());
        TrainConfig config = settings.train().toBuilder()
                .method(reference ? TrainingMethods.reference().name() : TrainingMethods.HKD.name())
                .seed(seed).teacherFraction(1).regionsKeptFraction(1).build();
        Dataset masked = maskedDataset(annotated, reference);
        Path modelDir = dir.resolve("model");
        Files.createDirectories(dir);
        try (PrintStream trainingLog = new PrintStream(Files.newOutputStream(dir.resolve("train.log")), true)) {
            Trainer trainer = new Trainer(config, trainingLog);
            trainer.train(masked, split, modelDir, trainer.provenance(masked, settings.data(),
                    "pneuknow annotation-queue simulate: " + strategy + " seed " + seed + " round " + round), true);
        }
        List<Sample> test = split.samples(dataset, Split.TEST);
        double[][] testProbabilities = probabilities(modelDir, test);
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < test.size(); i++) {
            predictions.add(new Prediction(test.get(i).imageId(), test.get(i).patientId(), test.get(i).classIndex(),
                    testProbabilities[i]));
        }
        var metrics = Metrics.of(predictions, dataset.classes());
        int teacherImages = 0;
        if (!reference) {
            Set<String> ids = new HashSet<>(annotated);
            List<Sample> remaining = candidates.stream().filter(s -> !ids.contains(s.imageId())).toList();
            double[][] student = probabilities(modelDir, remaining);
            double[][] teacher = probabilities(modelDir.resolve("teacher"), remaining);
            List<Candidate> stored = new ArrayList<>();
            for (int i = 0; i < remaining.size(); i++) {
                Sample s = remaining.get(i);
                stored.add(new Candidate(s.imageId(), s.patientId(), s.classIndex(), student[i], teacher[i]));
            }
            AtomicFiles.writeString(dir.resolve(CANDIDATES), Json.MAPPER.writeValueAsString(stored));
            teacherImages = (int) masked.samples().stream().filter(s -> Split.TRAIN.equals(split.partOf(s.imageId()))
                    && (s.annotated() || s.className().equals(noFinding))).count();
        }
        SimulationCell cell = new SimulationCell(strategy, seed, round, annotated, picked, metrics.balancedAccuracy(),
                metrics.accuracy(), test.size(), teacherImages, (System.nanoTime() - began) / 1e9);
        AtomicFiles.writeString(dir.resolve(CELL), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(cell));
        // the per-epoch checkpoints only serve to resume an interrupted training (about 4 MB a cell for tiny_cnn)
        deleteTree(modelDir.resolve("checkpoints"));
        log.printf(Locale.ROOT, "%s%s: test balanced accuracy %.3f (%.0f s)%n", what,
                picked.isEmpty() ? "" : " (" + picked.size() + " new)", cell.testBalancedAccuracy(), cell.seconds());
        return cell;
    }

    /**
     * The data set a cell trains on: training images keep their regions only when annotated ({@code annotated};
     * none for the reference); validation and test images keep theirs.
     */
    Dataset maskedDataset(List<String> annotated, boolean none) {
        Set<String> keep = none ? Set.of() : new LinkedHashSet<>(annotated);
        List<Sample> samples = dataset.samples().stream().map(s -> {
            if (!Split.TRAIN.equals(split.partOf(s.imageId())) || keep.contains(s.imageId()) || !s.annotated()) {
                return s;
            }
            return new Sample(s.imageId(), s.file(), s.className(), s.classIndex(), s.patientId(), List.of(),
                    s.attributes(), s.guidanceRegions());
        }).toList();
        return new Dataset(dataset.root(), dataset.classes(), samples);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The softmax probabilities of the model in {@code modelDir} on the samples' full images, in order. */
    private static double[][] probabilities(Path modelDir, List<Sample> samples) {
        double[][] out = new double[samples.size()][];
        try (ModelBundle.Loaded model = ModelBundle.load(modelDir)) {
            Predictor predictor = new Predictor(model);
            for (int start = 0; start < samples.size(); start += 32) {
                List<Sample> chunk = samples.subList(start, Math.min(samples.size(), start + 32));
                List<GreyImage> images = chunk.stream().map(s -> ImageFiles.read(s.file())).toList();
                float[][] p = predictor.probabilities(images);
                for (int i = 0; i < chunk.size(); i++) {
                    out[start + i] = new double[p[i].length];
                    for (int c = 0; c < p[i].length; c++) {
                        out[start + i][c] = p[i][c];
                    }
                }
            }
        }
        return out;
    }
}
