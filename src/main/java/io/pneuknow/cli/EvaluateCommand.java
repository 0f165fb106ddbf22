package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.api.Evaluator;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.evaluate.Evaluation;
import io.pneuknow.evaluate.EvaluationCsv;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.Localisation;
import io.pneuknow.evaluate.MetricIntervals;
import io.pneuknow.evaluate.TemperatureScaling;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pneuknow evaluate}: scores a model on one part of its split, with patient-level 95%
 * intervals, calibration, per-patient results, subgroups and heat maps against the expert's regions
 * ({@link Evaluator}), and writes evaluation.json, metrics.csv, predictions.csv, report.html and the overlays.
 */
@Command(name = "evaluate", sortOptions = false, description = {
        "Score a trained model on a part of its split (default: test).",
        "Writes evaluation.json, metrics.csv, predictions.csv, report.html and heat-map overlays. Intervals are 95%%, "
                + "resampling patients."})
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory written by 'pneuknow train'.")
    Path model;

    @FormerName(value = "--split", since = "0.2.0")
    @Option(names = "--part", defaultValue = "test", description = "Part to score: test, val or train (default ${DEFAULT-VALUE}); images the model was trained or selected on (by content, as its model.json records them) are refused.")
    String part;

    @Option(names = "--split-file", description = "Split CSV to use instead of the model's own split.csv.")
    Path splitFile;

    @Option(names = "--out", description = "Output directory (default: MODEL/evaluation-PART).")
    Path out;

    @Option(names = "--replicates", defaultValue = "1000", description = "Bootstrap replicates (default ${DEFAULT-VALUE}).")
    int replicates;

    @Option(names = "--seed", defaultValue = "1", description = "Bootstrap seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--calibrate", description = "Fit temperature scaling on the validation part and apply it.")
    boolean calibrate;

    @Option(names = "--training-prior", description = {
            "For a model trained to a uniform class prior (class-balanced sampling or class weights, not both): "
                    + "move its probabilities to the training part's class frequencies (Bayes' rule) before scoring, as "
                    + "it would predict where the classes occur as often as in training."})
    boolean trainingPrior;

    @Option(names = "--specificity", defaultValue = "0.9", description = "Operating point: per class, the threshold reaching this specificity on validation (default ${DEFAULT-VALUE}).")
    double specificity;

    @Option(names = "--subgroups", split = ",", description = "Label columns to break metrics down by (default: source,view,sex,age where present).")
    List<String> subgroups;

    @FormerName(value = "--heatmaps", since = "0.2.0")
    @Option(names = "--max-heat-maps", defaultValue = "12", paramLabel = "N",
            description = "How many heat-map overlays to write at most (default ${DEFAULT-VALUE}).")
    int maxHeatMaps;

    @Option(names = "--heat-stage", defaultValue = "0", description = {
            "Block for Grad-CAM: 0 for the last feature map (default), N for the output of the backbone's "
                    + "first N children (tiny_cnn: 3, 6, 9, 12 end its first four stages)."})
    int heatStage;

    @Option(names = "--threads", defaultValue = "0", description = "Engine threads, 0 for all cores.")
    int threads;

    @Mixin
    DataOptions dataOptions = new DataOptions();

    @Override
    public Integer call() throws IOException {
        String named = Split.partName(part);
        if (named == null || !List.of(Split.TRAIN, Split.VAL, Split.TEST).contains(named)) {
            throw new BadInputException("--part '" + part + "' names no part of a split; use train, val or test ("
                    + Split.SPELLINGS.replace(", or fold numbers 0, 1, ...", "") + ")");
        }
        part = named;
        ModelCard card = ModelBundle.readCard(model);
        DataSpec dataSpec = dataOptions.toSpec(model, card);
        Dataset dataset = DatasetLoader.load(dataSpec);
        Split split = SplitCsv.read(splitFile != null ? splitFile : model.resolve("split.csv"), dataset);
        Path outDir = out != null ? out : model.resolve("evaluation-" + part);
        Evaluation evaluation = Evaluator.builder().part(part).replicates(replicates).seed(seed).calibrate(calibrate)
                .trainingPrior(trainingPrior).specificity(specificity).subgroups(subgroups)
                .overlays(outDir, maxHeatMaps).heatStage(heatStage).threads(threads).build()
                .evaluate(model, dataset, split);
        PrintWriter w = spec.commandLine().getOut();
        TemperatureScaling.Calibration calibration = evaluation.calibration();
        if (calibration != null && calibration.applied()) {
            w.printf(Locale.ROOT, "temperature fitted on %d validation images: %.3f%n", calibration.validationImages(),
                    calibration.temperature());
        } else if (calibration != null) {
            w.println("temperature scaling NOT applied (probabilities left uncalibrated, temperature 1): "
                    + calibration.notApplied());
        }
        if (evaluation.trainingPrior() != null) {
            w.printf(Locale.ROOT, "probabilities moved from the uniform prior to the training part's class frequencies %s%n",
                    evaluation.trainingPrior());
        }
        Files.createDirectories(outDir);
        AtomicFiles.write(outDir.resolve("evaluation.json"), o -> Json.MAPPER.writeValue(o, evaluation));
        EvaluationCsv.writePredictions(outDir.resolve("predictions.csv"), evaluation.predictions(), card.labels());
        EvaluationCsv.writeMetrics(outDir.resolve("metrics.csv"), evaluation.metrics());
        AtomicFiles.writeString(outDir.resolve("report.html"), EvaluationReport.html(evaluation.modelCard(), part,
                evaluation.metrics(), evaluation.perPatient(), evaluation.subgroups(), evaluation.operatingPoints(),
                evaluation.localisation(), calibration, outDir));
        printSummary(w, evaluation.metrics(), evaluation.localisation(), outDir);
        return 0;
    }

    private static void printSummary(PrintWriter w, MetricIntervals metrics, Localisation loc, Path outDir) {
        Map<String, String> shown = new LinkedHashMap<>();
        shown.put("accuracy", "accuracy");
        shown.put("balanced_accuracy", "balanced accuracy");
        shown.put("macro_f1", "macro F1");
        shown.put("cohen_kappa", "Cohen's kappa");
        shown.put("macro_auc", "macro AUC");
        shown.forEach((name, label) -> {
            Interval i = metrics.get(name);
            w.printf(Locale.ROOT, "%-17s %6.3f  (95%% CI %.3f to %.3f)%n", label, i.estimate(), i.lower(), i.upper());
        });
        if (loc.annotatedImages() > 0) {
            w.printf(Locale.ROOT, "heat inside expert regions (energy pointing game) %.3f (95%% CI %.3f to %.3f) on %d annotated images%n",
                    loc.energy().estimate(), loc.energy().lower(), loc.energy().upper(), loc.annotatedImages());
        }
        w.println("report: " + outDir.resolve("report.html"));
        w.flush();
    }
}
