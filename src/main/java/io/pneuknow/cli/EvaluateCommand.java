package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.evaluate.Bootstrap;
import io.pneuknow.evaluate.EvaluationCsv;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.MetricIntervals;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.OperatingPoints;
import io.pneuknow.evaluate.PatientAggregation;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.evaluate.PriorShift;
import io.pneuknow.evaluate.Subgroups;
import io.pneuknow.evaluate.TemperatureScaling;
import io.pneuknow.explain.Agreement;
import io.pneuknow.explain.AgreementScores;
import io.pneuknow.explain.HeatMaps;
import io.pneuknow.explain.Overlays;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.transform.RoiMask;
import io.pneuknow.transform.RoiShape;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * intervals, calibration, per-patient results, subgroups and heat maps against the expert's regions.
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
    @Option(names = "--part", defaultValue = "test", description = "Part to score: test, val or train (default ${DEFAULT-VALUE}).")
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
        EngineThreads.set(threads);
        ModelCard card = ModelBundle.readCard(model);
        DataSpec dataSpec = dataOptions.toSpec(model, card);
        Dataset dataset = DatasetLoader.load(dataSpec);
        Split split = SplitCsv.read(splitFile != null ? splitFile : model.resolve("split.csv"), dataset);
        if (!split.parts().contains(Split.TRAIN)) {
            split = split.forFold(0);
        }
        List<Sample> scored = split.samples(dataset, part);
        if (scored.isEmpty()) {
            throw new BadInputException("split part '" + part + "' has no images; choose one of " + split.parts());
        }
        Path outDir = out != null ? out : model.resolve("evaluation-" + part);
        PrintWriter w = spec.commandLine().getOut();
        List<String> labels = card.labels();
        if (!labels.equals(dataset.classes())) {
            throw new BadInputException("the data set's classes " + dataset.classes() + " differ from the model's "
                    + labels + "; pass --classes to put them in the model's order");
        }
        try (ModelBundle.Loaded loaded = ModelBundle.load(model)) {
            int stages = new HeatMaps(loaded).backboneStages();
            if (heatStage < 0 || heatStage > stages) {
                throw new BadInputException("--heat-stage " + heatStage + " must be 0 (the last feature map) or 1.."
                        + stages + " (children of the " + card.architecture() + " backbone)");
            }
            Predictor predictor = new Predictor(loaded);
            double temperature = 1;
            List<Sample> valSamples = split.samples(dataset, Split.VAL);
            Scored val = score(predictor, valSamples);
            TemperatureScaling.Calibration calibration = null;
            if (calibrate) {
                calibration = TemperatureScaling.calibrate(val.logits(), val.labels());
                temperature = calibration.temperature();
                if (calibration.applied()) {
                    w.printf(Locale.ROOT, "temperature fitted on %d validation images: %.3f%n",
                            calibration.validationImages(), temperature);
                } else {
                    w.println("temperature scaling NOT applied (probabilities left uncalibrated, temperature 1): "
                            + calibration.notApplied());
                }
            }
            Scored test = score(predictor, scored);
            double[] target = trainingPrior ? trainingFrequencies(card, split, dataset) : null;
            List<Prediction> predictions = shifted(predictions(scored, TemperatureScaling.apply(test.logits(), temperature)),
                    target);
            List<Prediction> validation = shifted(predictions(valSamples, TemperatureScaling.apply(val.logits(), temperature)),
                    target);
            Map<String, Double> prior = null;
            if (target != null) {
                prior = new LinkedHashMap<>();
                for (int c = 0; c < labels.size(); c++) {
                    prior.put(labels.get(c), target[c]);
                }
                w.printf(Locale.ROOT, "probabilities moved from the uniform prior to the training part's class frequencies %s%n",
                        prior);
            }
            MetricIntervals metrics = MetricIntervals.of(predictions, labels, replicates, seed);
            MetricSet perPatient = Metrics.of(PatientAggregation.meanProbabilities(predictions), labels);
            Map<String, Map<String, MetricSet>> bySubgroup = new LinkedHashMap<>();
            for (String column : subgroupColumns(dataset)) {
                bySubgroup.put(column, column.equals("age")
                        ? Subgroups.by(predictions, column, labels, Subgroups::ageBand)
                        : Subgroups.by(predictions, column, labels));
            }
            Map<String, Object> operatingPoints = operatingPoints(validation, predictions, labels, specificity,
                    replicates, seed);
            Localisation localisation = localise(loaded, scored, predictions, outDir);
            Files.createDirectories(outDir);
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("model", Map.of("id", card.id(), "method", card.method(), "architecture", card.architecture(),
                    "path", model.toAbsolutePath().toString()));
            report.put("part", part);
            report.put("images", predictions.size());
            report.put("patients", predictions.stream().map(Prediction::patientId).distinct().count());
            report.put("temperature", temperature);
            report.put("calibration", calibration);
            report.put("trainingPrior", prior);
            report.put("bootstrap", Map.of("replicates", replicates, "seed", seed, "unit", "patient"));
            report.put("metrics", metrics);
            report.put("perPatient", perPatient);
            report.put("operatingPoints", operatingPoints);
            report.put("subgroups", bySubgroup);
            report.put("localisation", localisation);
            report.put("modelCard", card);
            AtomicFiles.write(outDir.resolve("evaluation.json"), o -> Json.MAPPER.writeValue(o, report));
            EvaluationCsv.writePredictions(outDir.resolve("predictions.csv"), predictions, labels);
            EvaluationCsv.writeMetrics(outDir.resolve("metrics.csv"), metrics);
            AtomicFiles.writeString(outDir.resolve("report.html"),
                    EvaluationReport.html(card, part, metrics, perPatient, bySubgroup, operatingPoints, localisation,
                            calibration, outDir));
            printSummary(w, metrics, localisation, outDir);
        }
        return 0;
    }

    /**
     * Per class, thresholds chosen on validation (one reaching the target specificity, one maximising
     * Youden's J) and what they give on the scored part, with patient-level intervals; a "note" instead
     * where validation cannot choose them (no images of the class, or none outside it), and a
     * "thresholdNote" where the threshold is degenerate ({@link OperatingPoints#thresholdNote}).
     */
    static Map<String, Object> operatingPoints(List<Prediction> validation, List<Prediction> scored, List<String> labels,
                                               double specificity, int replicates, long seed) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int c = 0; c < labels.size(); c++) {
            int cls = c;
            Map<String, Object> entry = new LinkedHashMap<>();
            long positives = validation.stream().filter(p -> p.trueClass() == cls).count();
            if (positives == 0 || positives == validation.size()) {
                entry.put("note", "no threshold: the validation part has " + (positives == 0
                        ? "no images of class " + labels.get(c) : "no images outside class " + labels.get(c))
                        + ", so sensitivity and specificity cannot both be measured there");
                out.put(labels.get(c), entry);
                continue;
            }
            try {
                double atSpecificity = OperatingPoints.thresholdForSpecificity(validation, c, specificity);
                double youden = OperatingPoints.youdenThreshold(validation, c);
                entry.put("targetSpecificity", specificity);
                entry.put("thresholdForSpecificity", atSpecificity);
                String degenerate = OperatingPoints.thresholdNote(atSpecificity, specificity);
                if (degenerate != null) {
                    entry.put("thresholdNote", degenerate);
                }
                entry.put("sensitivity", Bootstrap.patientLevel(scored, replicates, seed,
                        p -> OperatingPoints.sensitivityAt(p, cls, atSpecificity).sensitivity()));
                entry.put("specificity", Bootstrap.patientLevel(scored, replicates, seed,
                        p -> OperatingPoints.sensitivityAt(p, cls, atSpecificity).specificity()));
                entry.put("youdenThreshold", youden);
                entry.put("youden", OperatingPoints.sensitivityAt(scored, c, youden));
            } catch (BadInputException e) {
                entry.put("note", e.getMessage());
            }
            out.put(labels.get(c), entry);
        }
        return out;
    }

    /** The predictions moved from the uniform prior to {@code target}, or as they are where it is null. */
    private static List<Prediction> shifted(List<Prediction> predictions, double[] target) {
        if (target == null) {
            return predictions;
        }
        double[] learned = PriorShift.uniform(target.length);
        return predictions.stream().map(p -> PriorShift.shift(p, learned, target)).toList();
    }

    /**
     * The training part's class frequencies, for a model whose training settings (sampling, class
     * weights) made it learn a uniform prior; refuses any other model, whose probabilities already
     * carry the training frequencies.
     */
    private double[] trainingFrequencies(ModelCard card, Split split, Dataset dataset) {
        TrainConfig train;
        try {
            train = card.configuration() == null || card.configuration().get("train") == null ? null
                    : Json.MAPPER.treeToValue(card.configuration(), RunConfig.class).train();
        } catch (IOException e) {
            train = null;
        }
        if (train == null) {
            throw new BadInputException(model + "/model.json records no training settings, so the prior the model"
                    + " learned is unknown; drop --training-prior");
        }
        if (!train.learnsUniformPrior()) {
            throw new BadInputException(model + " was trained with sampling '" + train.sampling() + "' and "
                    + (train.classWeights() ? "" : "no ") + "class weights, so it did not learn a uniform class prior;"
                    + " --training-prior applies to class-balanced sampling or class weights (one of them); drop it");
        }
        int[] counts = new int[card.labels().size()];
        for (Sample s : split.samples(dataset, Split.TRAIN)) {
            counts[s.classIndex()]++;
        }
        return PriorShift.frequencies(counts);
    }

    private List<String> subgroupColumns(Dataset dataset) {
        List<String> wanted = subgroups != null ? subgroups : List.of("source", "view", "sex", "age");
        List<String> present = new ArrayList<>();
        for (String c : wanted) {
            boolean has = dataset.samples().stream().anyMatch(s -> s.attributes().containsKey(c));
            if (has) {
                present.add(c);
            } else if (subgroups != null) {
                throw new BadInputException("--subgroups " + c + ": no such column in the labels file");
            }
        }
        return present;
    }

    /** Logits and labels of the samples, in order. */
    record Scored(double[][] logits, int[] labels) {
    }

    static Scored score(Predictor predictor, List<Sample> samples) {
        double[][] logits = predictor.logitsOfFiles(samples.stream().map(Sample::file).toList());
        return new Scored(logits, samples.stream().mapToInt(Sample::classIndex).toArray());
    }

    /** Predictions of the samples from their probabilities, in the same order. */
    static List<Prediction> predictions(List<Sample> samples, double[][] probabilities) {
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            out.add(new Prediction(s.imageId(), s.patientId(), s.classIndex(), probabilities[i], s.attributes()));
        }
        return out;
    }

    /** Heat-map agreement with the expert's regions over the annotated images, with patient-level intervals. */
    record Localisation(int annotatedImages, String heatMap, int heatStage, Interval energy, Interval hitRate, Interval iou,
                        Interval auprc, Map<String, Object> perClass, List<String> overlays, List<String> undefined) {
    }

    private Localisation localise(ModelBundle.Loaded loaded, List<Sample> samples, List<Prediction> predictions,
                                  Path outDir) throws IOException {
        HeatMaps heat = new HeatMaps(loaded);
        int stages = heat.backboneStages();
        int stage = heatStage == 0 ? stages : heatStage;
        String heatMap = stage == stages ? "grad-cam of the true class at the last feature map"
                : "grad-cam of the true class after backbone child " + stage + " of " + stages;
        Map<String, AgreementScores> scores = new LinkedHashMap<>();
        List<Prediction> annotated = new ArrayList<>();
        List<String> overlays = new ArrayList<>();
        List<String> undefined = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (!s.annotated()) {
                continue;
            }
            GreyImage image = ImageFiles.read(s.file());
            GreyImage mask = RoiMask.build(s, image.width(), image.height(), 0, RoiShape.MASK, ImageFiles::readMask);
            GreyImage map = heat.gradCam(image, s.classIndex(), stage);
            var reason = Agreement.undefined(map, mask);
            if (reason.isPresent()) {
                undefined.add(s.imageId() + ": " + reason.get());
                continue;
            }
            scores.put(s.imageId(), Agreement.scores(map, mask));
            annotated.add(predictions.get(i));
            if (overlays.size() < maxHeatMaps) {
                String name = "heatmaps/" + s.imageId().replaceAll("[^A-Za-z0-9_.-]", "_") + ".png";
                Overlays.write(outDir.resolve(name), image, map, mask);
                overlays.add(name);
            }
        }
        if (annotated.isEmpty()) {
            return new Localisation(0, heatMap, heatStage, null, null, null, null, Map.of(), overlays, undefined);
        }
        List<Interval> all = Bootstrap.patientLevelAll(annotated, replicates, seed, list -> localisationMeans(list, scores));
        Map<String, Object> perClass = new LinkedHashMap<>();
        List<String> labels = loaded.card().labels();
        for (int c = 0; c < labels.size(); c++) {
            int cls = c;
            List<Prediction> ofClass = annotated.stream().filter(p -> p.trueClass() == cls).toList();
            if (ofClass.isEmpty()) {
                continue;
            }
            if (ofClass.size() < 10) {
                perClass.put(labels.get(c), "too few annotated images (" + ofClass.size() + " < 10)");
                continue;
            }
            List<Interval> ci = Bootstrap.patientLevelAll(ofClass, replicates, seed, list -> localisationMeans(list, scores));
            perClass.put(labels.get(c), Map.of("images", ofClass.size(), "energy", ci.get(0), "hitRate", ci.get(1),
                    "iou", ci.get(2), "auprc", ci.get(3)));
        }
        return new Localisation(annotated.size(), heatMap, heatStage, all.get(0), all.get(1), all.get(2),
                all.get(3), perClass, overlays, undefined);
    }

    private static double[] localisationMeans(List<Prediction> list, Map<String, AgreementScores> scores) {
        double[] sums = new double[4];
        for (Prediction p : list) {
            AgreementScores a = scores.get(p.imageId());
            sums[0] += a.energy();
            sums[1] += a.hit() ? 1 : 0;
            sums[2] += a.iou();
            sums[3] += a.auprc();
        }
        for (int k = 0; k < 4; k++) {
            sums[k] /= list.size();
        }
        return sums;
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
