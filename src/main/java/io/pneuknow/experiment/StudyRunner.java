package io.pneuknow.experiment;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Fingerprint;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.data.Splitter;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.evaluate.TemperatureScaling;
import io.pneuknow.explain.ImageAgreement;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainRun;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs every cell of a study (architecture x method x test fold x seed) into its own folder of the
 * study directory. A cell with a cell.json is finished and never trained again; an interrupted cell
 * resumes from its last completed epoch. So a study killed at any moment continues where it
 * stopped when it is run again, in the same or a later session.
 */
public final class StudyRunner {
    /** A cell of the grid. */
    public record Cell(String architecture, StudyMethod method, int fold, long seed) {
        /** The cell a finished result came from. */
        public static Cell of(CellResult result) {
            return new Cell(result.architecture(), StudyMethod.parse(result.method()), result.fold(), result.seed());
        }

        /** The cell's folder in the study folder. */
        public Path dir(Path study) {
            return study.resolve("cells").resolve(architecture).resolve(method.name()).resolve("fold-" + fold)
                    .resolve("seed-" + seed);
        }

        public String label() {
            return architecture + " " + method.name() + " fold " + fold + " seed " + seed;
        }
    }

    /**
     * A planned study: its settings, folder, data, folds and cells, what {@link #runCell} and
     * {@link #finish} need. Made by {@link #plan} (which writes the study folder's own files) or by
     * {@link #open} (which only reads them, for a worker of a distributed run).
     */
    public static final class Study {
        private final StudyConfig config;
        private final Path dir;
        private final Dataset dataset;
        private final String fingerprint;
        private final Split folds;
        private final List<Cell> cells;
        // the data set with another variant's guidance regions: the same images, labels and folds
        private final Map<DataSpec, Dataset> datasets = new java.util.concurrent.ConcurrentHashMap<>();

        private Study(StudyConfig config, Path dir, Dataset dataset, String fingerprint, Split folds, List<Cell> cells) {
            this.config = config;
            this.dir = dir;
            this.dataset = dataset;
            this.fingerprint = fingerprint;
            this.folds = folds;
            this.cells = List.copyOf(cells);
        }

        public StudyConfig config() {
            return config;
        }

        public Path dir() {
            return dir;
        }

        /** Every cell of the grid, in the order a single-machine run trains them. */
        public List<Cell> cells() {
            return cells;
        }

        public String fingerprint() {
            return fingerprint;
        }

        Dataset datasetFor(StudyMethod method) {
            DataSpec cellData = config.dataFor(method);
            return cellData.equals(config.data()) ? dataset : datasets.computeIfAbsent(cellData, DatasetLoader::load);
        }
    }

    private StudyRunner() {
    }

    /** Runs (or resumes) the study and writes its tables; returns the results of every cell. */
    public static List<CellResult> run(StudyConfig config, Path dir, PrintStream log) throws IOException {
        Study study = plan(config, dir, log);
        List<Cell> cells = study.cells();
        java.util.Map<Cell, CellResult> finished = new java.util.HashMap<>();
        for (Cell cell : cells) {
            finishedResult(study, cell).ifPresent(r -> finished.put(cell, r));
        }
        List<CellResult> results = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            Cell cell = cells.get(i);
            if (finished.containsKey(cell)) {
                results.add(finished.get(cell));
                log.printf("cell %d/%d %s: done earlier%n", i + 1, cells.size(), cell.label());
                continue;
            }
            List<Cell> left = cells.subList(i, cells.size()).stream().filter(c -> !finished.containsKey(c)).toList();
            StudyEstimate estimate = StudyEstimate.of(left, finished.values(), m -> StudyEstimate.work(
                    config.trainFor(m).with(m.method(), m.teacherInput(), cell.architecture(), 0, m.teacherFraction(),
                            m.regionsKeptFraction())));
            log.printf("cell %d/%d %s: training; %d cells left, about %s%n", i + 1, cells.size(), cell.label(),
                    left.size(), estimate.text());
            CellResult result = runCell(study, cell, log);
            finished.put(cell, result);
            results.add(result);
        }
        finish(study, results);
        return results;
    }

    /**
     * Plans a study in {@code dir}: loads the data, checks its fingerprint and the settings against a
     * study already there, writes data-fingerprint.txt, study.json and folds.csv, and lists the cells.
     * Trains nothing.
     */
    public static Study plan(StudyConfig config, Path dir, PrintStream log) throws IOException {
        Dataset dataset = DatasetLoader.load(config.data());
        String fingerprint = Fingerprint.of(dataset);
        Files.createDirectories(dir);
        Path marker = dir.resolve("data-fingerprint.txt");
        if (Files.exists(marker) && !Files.readString(marker).strip().equals(fingerprint)) {
            throw new BadInputException(dir + " holds a study of other data (fingerprint " + Files.readString(marker).strip()
                    + ", now " + fingerprint + "); use a new study folder");
        }
        AtomicFiles.writeString(marker, fingerprint + "\n");
        StudySettingsCheck.requireSame(config, dir.resolve("study.json"));
        AtomicFiles.write(dir.resolve("study.json"), out -> Json.MAPPER.writeValue(out, config));
        Study study = grid(config, dir, dataset, fingerprint);
        SplitCsv.write(study.folds, dataset, dir.resolve("folds.csv"));
        log.println(study.folds.countsTable(dataset));
        study.folds.warnings(dataset).forEach(w -> log.println("warning: " + w));
        return study;
    }

    /**
     * Opens a study that {@link #plan} wrote, for a worker that runs some of its cells: reads
     * study.json, loads the data and refuses data whose fingerprint differs from the planned one.
     * Writes nothing.
     */
    public static Study open(Path dir) throws IOException {
        Path studyFile = dir.resolve("study.json");
        Path marker = dir.resolve("data-fingerprint.txt");
        if (!Files.isRegularFile(studyFile) || !Files.isRegularFile(marker)) {
            throw new BadInputException(dir + ": no planned study here (study.json and data-fingerprint.txt); "
                    + "the folder must be the one the study was planned in, visible at the same path");
        }
        StudyConfig config = Json.MAPPER.readValue(studyFile.toFile(), StudyConfig.class);
        Dataset dataset = DatasetLoader.load(config.data());
        String fingerprint = Fingerprint.of(dataset);
        String planned = Files.readString(marker).strip();
        if (!planned.equals(fingerprint)) {
            throw new BadInputException(dir + " was planned on data with fingerprint " + planned + " but the data here has "
                    + fingerprint + "; every worker must see the same data at the same path");
        }
        return grid(config, dir, dataset, fingerprint);
    }

    private static Study grid(StudyConfig config, Path dir, Dataset dataset, String fingerprint) {
        Split folds = config.data().splitColumn() == null ? Splitter.kFold(dataset, config.folds(), config.foldSeed())
                : Split.ofColumn(dataset, config.data().splitColumn());
        boolean fixed = folds.named();
        List<Integer> foldsToRun = fixed ? List.of(0) : config.foldsToRun(folds.parts().size());
        List<Cell> cells = new ArrayList<>();
        for (String architecture : config.architectures()) {
            for (String method : config.methods()) {
                for (int fold : foldsToRun) {
                    for (long seed : config.seeds()) {
                        cells.add(new Cell(architecture, StudyMethod.parse(method), fold, seed));
                    }
                }
            }
        }
        return new Study(config, dir, dataset, fingerprint, folds, cells);
    }

    /** A finished cell's result (its cell.json), with localisation filled in when it was written before that existed. */
    static java.util.Optional<CellResult> finishedResult(Study study, Cell cell) throws IOException {
        requireTeacherFractionCell(cell.dir(study.dir), cell);
        Path cellFile = cell.dir(study.dir).resolve("cell.json");
        if (!Files.exists(cellFile)) {
            return java.util.Optional.empty();
        }
        CellResult earlier = Json.MAPPER.readValue(cellFile.toFile(), CellResult.class);
        if (earlier.localisation() == null) {
            // written before localisation was recorded: score the saved model now
            CellResult filled = earlier.withLocalisation(localise(cell.dir(study.dir), testOf(study.dataset, study.folds, cell)));
            AtomicFiles.write(cellFile, out -> Json.MAPPER.writeValue(out, filled));
            earlier = filled;
        }
        return java.util.Optional.of(earlier);
    }

    /**
     * Refuses a cell folder of a teacher-fraction method ({@code hkd-fraction-F}) whose models were trained
     * when that name meant the regions-kept variant (their settings have {@code method.annotationFraction} and
     * no {@code method.teacherFraction}): reading them as the reference's control would report another method.
     */
    private static void requireTeacherFractionCell(Path dir, Cell cell) throws IOException {
        if (cell.method().teacherFraction() >= 1) {
            return;
        }
        for (Path card : List.of(dir.resolve("model.json"), dir.resolve("teacher").resolve("model.json"))) {
            if (!Files.exists(card)) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode method = Json.MAPPER.readTree(card.toFile())
                    .path("configuration").path("train").path("method");
            if (method.has("annotationFraction") && !method.has("teacherFraction")) {
                throw new BadInputException(card + ": this " + cell.method().baseName() + " cell was trained when the"
                        + " name meant the regions-kept variant (now " + cell.method().baseName().replace("-fraction-",
                        "-regions-kept-") + "); rename its method folder and the study file's method to that name to"
                        + " keep it, or delete the folder to train the reference's control");
            }
        }
    }

    /**
     * Runs one cell into its folder and writes its cell.json; a cell with a cell.json is not trained
     * again (its result is read), and an interrupted one resumes from its checkpoints. Cells may run
     * in any order and in other processes; one cell must not run twice at the same time.
     */
    public static CellResult runCell(Study study, Cell cell, PrintStream log) throws IOException {
        java.util.Optional<CellResult> done = finishedResult(study, cell);
        if (done.isPresent()) {
            return done.get();
        }
        CellResult result = runCell(study.config, study.datasetFor(cell.method()), study.folds, study.fingerprint, cell,
                study.dir, log);
        AtomicFiles.write(cell.dir(study.dir).resolve("cell.json"), out -> Json.MAPPER.writeValue(out, result));
        return result;
    }

    /**
     * Writes the study's tables and report from the results of its cells (in the order of {@link Study#cells}):
     * computes the tables and the report's figures (the heat-map gallery loads the cells' models), then renders
     * them as summary.json, summary.md, learning-curves.csv and report.html.
     */
    public static void finish(Study study, List<CellResult> results) throws IOException {
        Path dir = study.dir;
        StudyTables tables = StudyTables.of(study.config, study.dataset, study.folds, results);
        AtomicFiles.write(dir.resolve(StudyTables.FILE), out -> Json.MAPPER.writeValue(out, tables));
        AtomicFiles.writeString(dir.resolve(SummaryMarkdown.FILE), SummaryMarkdown.of(tables));
        AtomicFiles.writeString(dir.resolve(LearningCurvesCsv.FILE), LearningCurvesCsv.of(tables));
        StudyFigures figures = StudyFigures.of(study.config, study.dataset, results, dir);
        StudyReport.write(study.config, study.dataset, study.folds, tables, figures, results, dir);
    }

    private static CellResult runCell(StudyConfig config, Dataset dataset, Split folds, String fingerprint, Cell cell,
                                      Path study, PrintStream log) throws IOException {
        long start = System.nanoTime();
        TrainConfig train = config.trainFor(cell.method()).with(cell.method().method(), cell.method().teacherInput(),
                cell.architecture(), cell.seed(), cell.method().teacherFraction(), cell.method().regionsKeptFraction())
                .validated();
        Split split = partsOf(folds, cell);
        List<Sample> test = testOf(dataset, folds, cell);
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                test);
        Path dir = cell.dir(study);
        TrainRun.Provenance provenance = new TrainRun.Provenance(Json.MAPPER.valueToTree(Map.of("study", config.name() == null
                ? "" : config.name(), "cell", cell.label(), "train", train, "data", config.data())), fingerprint,
                "study " + config.name() + ": " + dataset.population(config.data()), "pneuknow experiment");
        // resume=true continues an interrupted cell from its checkpoints, and starts afresh when there are none
        TrainRun.Outcome outcome = new TrainRun(train, log).run(dataset, parts, provenance, dir, true);
        List<Prediction> predictions = predict(dir, test);
        String history = cell.method().trainingMethod().historyFile();
        List<Double> valLoss = Files.readAllLines(dir.resolve(history)).stream().skip(1)
                .map(line -> Double.parseDouble(line.split(",")[7])).toList();
        return new CellResult(cell.architecture(), cell.method().name(), cell.fold(), cell.seed(), predictions,
                outcome.teacherTestAccuracy(), outcome.teacherTestAccuracyWithoutNoFinding(),
                outcome.model().checkpoint().epoch(), valLoss, (System.nanoTime() - start) / 1e9, outcome.model().id(),
                localise(dir, test));
    }

    private static List<Sample> testOf(Dataset dataset, Split folds, Cell cell) {
        return partsOf(folds, cell).samples(dataset, Split.TEST);
    }

    /** A cell's train/val/test parts: its fold of a k-fold split, or the data's own fixed split. */
    private static Split partsOf(Split folds, Cell cell) {
        return folds.named() ? folds : folds.forFold(cell.fold());
    }

    /** Grad-CAM agreement with the expert's regions on the annotated test images of a cell's model. */
    static List<ImageAgreement> localise(Path modelDir, List<Sample> test) {
        try (ModelBundle.Loaded loaded = ModelBundle.load(modelDir)) {
            return ImageAgreement.ofAnnotated(loaded, test);
        }
    }

    /** The saved model's probabilities for the test images. */
    static List<Prediction> predict(Path modelDir, List<Sample> test) {
        try (ModelBundle.Loaded loaded = ModelBundle.load(modelDir)) {
            double[][] logits = new Predictor(loaded).logitsOfFiles(test.stream().map(Sample::file).toList());
            List<Prediction> out = new ArrayList<>();
            for (int i = 0; i < test.size(); i++) {
                Sample s = test.get(i);
                out.add(new Prediction(s.imageId(), s.patientId(), s.classIndex(),
                        TemperatureScaling.apply(new double[][] {logits[i]}, 1)[0], s.attributes()));
            }
            return out;
        }
    }
}
