package io.pneuknow.experiment;

import io.pneuknow.data.Dataset;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.evaluate.Bootstrap;
import io.pneuknow.evaluate.ClassLocalisation;
import io.pneuknow.evaluate.ClassMetrics;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.LocalisationScores;
import io.pneuknow.evaluate.LocalisationSummary;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.evaluate.PriorShift;
import io.pneuknow.train.TrainingMethod;
import io.pneuknow.train.TrainingMethods;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tables of a study. Descriptive: mean and standard deviation over cells per architecture and
 * method (as the paper's table), with the teacher's accuracy alongside, also without the
 * no-finding class. Primary comparison, fixed before any run: each method against the baseline
 * on the pooled out-of-fold test predictions (probabilities averaged over seeds per image), by a
 * patient-level paired bootstrap of the difference in balanced accuracy and accuracy. For models that
 * learned a uniform class prior (class-balanced sampling or class weights, not both), the pooled figures once more
 * with each cell's probabilities moved to its training part's class frequencies ({@link PriorShift}).
 *
 * <p>The typed result of a study's cells, computed by {@link #of}; it renders nothing. summary.json is this
 * record as JSON (its component names are the file's keys); {@link SummaryMarkdown}, {@link LearningCurvesCsv}
 * and {@link StudyReport} render it as summary.md, learning-curves.csv and report.html.
 */
public record StudyTables(List<Row> rows, List<Comparison> comparisons, Map<String, Map<String, Double>> perClassF1,
                          Map<String, List<Double>> meanValLoss, List<LocalisationRow> localisation,
                          List<FractionPoint> annotationFraction, List<PooledRow> pooled,
                          List<PooledRow> priorShifted) {

    /**
     * One model's pooled out-of-fold test predictions (probabilities averaged over seeds per image):
     * balanced accuracy, macro-F1, accuracy and each class's recall, with patient-level 95% intervals.
     */
    public record PooledRow(String architecture, String method, int images, Interval balancedAccuracy,
                            Interval macroF1, Interval accuracy, Map<String, Interval> recall) {
    }

    /**
     * Grad-CAM (true class, last feature map) against the expert's regions on the annotated test
     * images of one architecture and method: mean ± sd over cells, and on the pooled images (scores
     * averaged over seeds per image) with patient-level 95% intervals; per class only where at least
     * {@value LocalisationSummary#MIN_IMAGES_PER_CLASS} annotated images exist, otherwise the reason
     * ({@link LocalisationSummary}).
     */
    public record LocalisationRow(String architecture, String method, int cells, int images, int undefined,
                                  double energyMean, double energySd, double hitRateMean, double hitRateSd,
                                  double iouMean, double iouSd, double auprcMean, double auprcSd, Interval energy,
                                  Interval hitRate, Interval iou, Interval auprc,
                                  Map<String, ClassLocalisation> perClass) {
    }

    /**
     * One point of the annotation-fraction curve (the reference's control, {@code hkd-fraction-F}): HKD
     * whose teacher trained on this share of the training images for proportionally more epochs, its
     * student distilling on all of them (1 = plain HKD), mean ± sd over cells.
     */
    public record FractionPoint(String architecture, String method, double fraction, int cells,
                                double balancedAccuracyMean, double balancedAccuracySd, double accuracyMean,
                                double accuracySd, double energyMean) {
    }

    /** Mean and standard deviation over the cells of one architecture and method. */
    public record Row(String architecture, String method, int cells, double accuracyMean, double accuracySd,
                      double balancedAccuracyMean, double balancedAccuracySd, double macroF1Mean, double macroF1Sd,
                      double teacherAccuracyMean, double teacherAccuracySd, double teacherWithoutNoFindingMean,
                      double teacherWithoutNoFindingSd, double minutesMean) {
    }

    /**
     * A method against its reference on pooled out-of-fold predictions of the same images: the
     * baseline with the same variants ({@code hkd+imbalance} against {@code baseline+imbalance}), or
     * for a baseline with variants the plain baseline.
     */
    public record Comparison(String architecture, String method, String reference, int images, double baselineBalancedAccuracy,
                             double methodBalancedAccuracy, Interval balancedAccuracyDifference,
                             Interval accuracyDifference, int localisedImages, Interval energyDifference) {
    }

    /** File name in the study folder of the tables as JSON. */
    public static final String FILE = "summary.json";

    /** Computes the tables from the results of a study's cells (on its data set and folds). */
    static StudyTables of(StudyConfig config, Dataset dataset, Split folds, List<CellResult> results) {
        List<String> classes = dataset.classes();
        Map<String, List<CellResult>> byModel = new LinkedHashMap<>();
        for (CellResult r : results) {
            byModel.computeIfAbsent(r.architecture() + "|" + r.method(), k -> new ArrayList<>()).add(r);
        }
        List<Row> rows = new ArrayList<>();
        Map<String, Map<String, Double>> perClassF1 = new LinkedHashMap<>();
        Map<String, List<Double>> meanValLoss = new LinkedHashMap<>();
        for (var entry : byModel.entrySet()) {
            List<CellResult> cells = entry.getValue();
            List<MetricSet> metrics = cells.stream().map(c -> Metrics.of(c.test(), classes)).toList();
            CellResult first = cells.get(0);
            rows.add(new Row(first.architecture(), first.method(), cells.size(),
                    mean(metrics.stream().mapToDouble(MetricSet::accuracy).toArray()),
                    sd(metrics.stream().mapToDouble(MetricSet::accuracy).toArray()),
                    mean(metrics.stream().mapToDouble(MetricSet::balancedAccuracy).toArray()),
                    sd(metrics.stream().mapToDouble(MetricSet::balancedAccuracy).toArray()),
                    mean(metrics.stream().mapToDouble(MetricSet::macroF1).toArray()),
                    sd(metrics.stream().mapToDouble(MetricSet::macroF1).toArray()),
                    mean(cells.stream().mapToDouble(CellResult::teacherTestAccuracy).toArray()),
                    sd(cells.stream().mapToDouble(CellResult::teacherTestAccuracy).toArray()),
                    mean(cells.stream().mapToDouble(CellResult::teacherTestAccuracyWithoutNoFinding).toArray()),
                    sd(cells.stream().mapToDouble(CellResult::teacherTestAccuracyWithoutNoFinding).toArray()),
                    mean(cells.stream().mapToDouble(CellResult::seconds).toArray()) / 60));
            Map<String, Double> f1 = new LinkedHashMap<>();
            for (String c : classes) {
                f1.put(c, mean(metrics.stream().map(m -> m.forClass(c)).mapToDouble(ClassMetrics::f1).toArray()));
            }
            perClassF1.put(entry.getKey().replace('|', ' '), f1);
            int epochs = cells.stream().mapToInt(c -> c.valLoss().size()).max().orElse(0);
            List<Double> curve = new ArrayList<>();
            for (int e = 0; e < epochs; e++) {
                int epoch = e;
                curve.add(mean(cells.stream().filter(c -> c.valLoss().size() > epoch)
                        .mapToDouble(c -> c.valLoss().get(epoch)).toArray()));
            }
            meanValLoss.put(entry.getKey().replace('|', ' '), curve);
        }
        List<Comparison> comparisons = new ArrayList<>();
        List<List<String>> pairs = new ArrayList<>();
        for (String method : config.methods()) {
            String reference = StudyMethod.parse(method).reference();
            if (reference != null) {
                pairs.add(List.of(method, reference));
            }
        }
        if (config.comparisons() != null) {
            config.comparisons().stream().filter(p -> !pairs.contains(p)).forEach(pairs::add);
        }
        for (String architecture : config.architectures()) {
            for (List<String> pair : pairs) {
                List<CellResult> baseline = byModel.get(architecture + "|" + pair.get(1));
                List<CellResult> cells = byModel.get(architecture + "|" + pair.get(0));
                if (baseline != null && cells != null) {
                    compare(architecture, pair.get(0), pair.get(1), cells, baseline, classes,
                            config.bootstrapReplicates()).ifPresent(comparisons::add);
                }
            }
        }
        List<LocalisationRow> localisation = new ArrayList<>();
        for (List<CellResult> cells : byModel.values()) {
            localisationRow(cells, classes, config.bootstrapReplicates()).ifPresent(localisation::add);
        }
        List<PooledRow> pooledRows = new ArrayList<>();
        List<PooledRow> priorShifted = new ArrayList<>();
        for (List<CellResult> cells : byModel.values()) {
            pooledRows.add(pooledRow(cells, classes, config.bootstrapReplicates()));
            if (config.trainFor(StudyMethod.parse(cells.get(0).method())).learnsUniformPrior()) {
                List<CellResult> shifted = cells.stream()
                        .map(c -> shiftedToTrainingPrior(c, trainingCounts(dataset, folds, c.fold(), classes.size())))
                        .toList();
                priorShifted.add(pooledRow(shifted, classes, config.bootstrapReplicates()));
            }
        }
        return new StudyTables(rows, comparisons, perClassF1, meanValLoss, localisation,
                fractionCurve(config, byModel, rows, localisation), pooledRows, priorShifted);
    }

    private static PooledRow pooledRow(List<CellResult> cells, List<String> classes, int replicates) {
        List<Prediction> pooled = pooled(cells);
        List<Interval> intervals = Bootstrap.patientLevelAll(pooled, replicates, 4,
                list -> pooledFigures(list, classes.size()));
        Map<String, Interval> recall = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            recall.put(classes.get(c), intervals.get(2 + c));
        }
        return new PooledRow(cells.get(0).architecture(), cells.get(0).method(), pooled.size(),
                intervals.get(0), intervals.get(1), intervals.get(2 + classes.size()), recall);
    }

    /** Images per class in the training part of a fold (of the fixed split, where the study has one). */
    static int[] trainingCounts(Dataset dataset, Split folds, int fold, int classes) {
        Split parts = folds.parts().contains(Split.TRAIN) ? folds : folds.forFold(fold);
        int[] counts = new int[classes];
        for (Sample s : parts.samples(dataset, Split.TRAIN)) {
            counts[s.classIndex()]++;
        }
        return counts;
    }

    /** The cell's test predictions moved from the uniform prior to its training part's class frequencies. */
    static CellResult shiftedToTrainingPrior(CellResult cell, int[] trainingCounts) {
        return cell.withTest(PriorShift.fromUniformToCounts(cell.test(), trainingCounts));
    }

    private static java.util.Optional<LocalisationRow> localisationRow(List<CellResult> cells, List<String> classes,
                                                                      int replicates) {
        if (cells.stream().anyMatch(c -> c.localisation() == null)) {
            return java.util.Optional.empty();
        }
        Map<String, LocalisationScores> scores = pooledScores(cells);
        List<Prediction> images = pooled(cells).stream().filter(p -> scores.containsKey(p.imageId())).toList();
        int undefined = (int) cells.stream().flatMap(c -> c.localisation().stream()).filter(a -> !a.defined()).count();
        List<LocalisationScores> perCell = cells.stream().map(c -> cellMeans(c.localisation())).toList();
        double[] energy = perCell.stream().mapToDouble(LocalisationScores::energy).toArray();
        double[] hit = perCell.stream().mapToDouble(LocalisationScores::hit).toArray();
        double[] iou = perCell.stream().mapToDouble(LocalisationScores::iou).toArray();
        double[] auprc = perCell.stream().mapToDouble(LocalisationScores::auprc).toArray();
        CellResult first = cells.get(0);
        LocalisationSummary pooled = LocalisationSummary.of(images, scores, classes, replicates, 4);
        return java.util.Optional.of(new LocalisationRow(first.architecture(), first.method(), cells.size(), images.size(),
                undefined, mean(energy), sd(energy), mean(hit), sd(hit), mean(iou), sd(iou), mean(auprc), sd(auprc),
                pooled.energy(), pooled.hitRate(), pooled.iou(), pooled.auprc(), pooled.perClass()));
    }

    /** Per image (defined scores only), its scores averaged over the cells (seeds) that scored it. */
    static Map<String, LocalisationScores> pooledScores(List<CellResult> cells) {
        Map<String, double[]> sums = new TreeMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (CellResult c : cells) {
            if (c.localisation() == null) {
                continue;
            }
            for (var a : c.localisation()) {
                if (!a.defined()) {
                    continue;
                }
                double[] sum = sums.computeIfAbsent(a.imageId(), k -> new double[4]);
                double[] values = a.scores().values();
                for (int k = 0; k < 4; k++) {
                    sum[k] += values[k];
                }
                counts.merge(a.imageId(), 1, Integer::sum);
            }
        }
        Map<String, LocalisationScores> out = new TreeMap<>();
        sums.forEach((id, sum) -> {
            int n = counts.get(id);
            out.put(id, new LocalisationScores(sum[0] / n, sum[1] / n, sum[2] / n, sum[3] / n));
        });
        return out;
    }

    /** A cell's mean of each score over its defined images (NaN, from undefined images, left out). */
    private static LocalisationScores cellMeans(List<io.pneuknow.explain.ImageAgreement> scores) {
        return new LocalisationScores(
                mean(scores.stream().mapToDouble(io.pneuknow.explain.ImageAgreement::energy).toArray()),
                mean(scores.stream().mapToDouble(io.pneuknow.explain.ImageAgreement::hit).toArray()),
                mean(scores.stream().mapToDouble(io.pneuknow.explain.ImageAgreement::iou).toArray()),
                mean(scores.stream().mapToDouble(io.pneuknow.explain.ImageAgreement::auprc).toArray()));
    }

    private static List<FractionPoint> fractionCurve(StudyConfig config, Map<String, List<CellResult>> byModel,
                                                     List<Row> rows, List<LocalisationRow> localisation) {
        List<FractionPoint> points = new ArrayList<>();
        for (Row r : rows) {
            double fraction;
            // the plain distilling method (all annotations), and the forms that train the teacher on a share of
            // the training images (the reference's control; the regions-kept forms are not points of this curve)
            int plus = r.method().indexOf(StudyMethod.SEPARATOR);
            TrainingMethod.StudyForm form = TrainingMethods.studyForm(plus < 0 ? r.method() : r.method().substring(0, plus));
            if (form != null && form.method().distills() && r.method().equals(form.method().name())) {
                fraction = 1.0;
            } else if (form != null && form.fractionForm()) {
                fraction = form.teacherFraction();
            } else {
                continue;
            }
            double energy = localisation.stream().filter(l -> l.architecture().equals(r.architecture())
                    && l.method().equals(r.method())).mapToDouble(LocalisationRow::energyMean).findFirst().orElse(Double.NaN);
            points.add(new FractionPoint(r.architecture(), r.method(), fraction, r.cells(), r.balancedAccuracyMean(),
                    r.balancedAccuracySd(), r.accuracyMean(), r.accuracySd(), energy));
        }
        boolean anyFraction = points.stream().anyMatch(p -> p.fraction() < 1);
        if (!anyFraction) {
            return List.of();
        }
        points.sort(java.util.Comparator.comparing(FractionPoint::architecture).thenComparingDouble(FractionPoint::fraction));
        return points;
    }

    /** {@code method} against {@code reference} on the same pooled images; empty when the images differ. */
    private static java.util.Optional<Comparison> compare(String architecture, String method, String reference,
                                                          List<CellResult> cells, List<CellResult> baseline,
                                                          List<String> classes, int replicates) {
        List<Prediction> pooledBaseline = pooled(baseline);
        List<Prediction> pooledMethod = pooled(cells);
        if (!sameImages(pooledBaseline, pooledMethod)) {
            return java.util.Optional.empty();
        }
        Map<String, LocalisationScores> baselineScores = pooledScores(baseline);
        Map<String, LocalisationScores> methodScores = pooledScores(cells);
        // a difference of means over the same images is the mean of per-image differences, so a
        // patient-level bootstrap of that mean is the paired bootstrap of the difference
        List<Prediction> localisedMethod = pooledMethod.stream()
                .filter(p -> baselineScores.containsKey(p.imageId()) && methodScores.containsKey(p.imageId()))
                .toList();
        Interval energyDifference = localisedMethod.isEmpty() ? null
                : Bootstrap.patientLevel(localisedMethod, replicates, 3, list -> list.stream()
                        .mapToDouble(p -> methodScores.get(p.imageId()).energy() - baselineScores.get(p.imageId()).energy())
                        .average().orElse(Double.NaN));
        return java.util.Optional.of(new Comparison(architecture, method, reference, pooledMethod.size(),
                Metrics.of(pooledBaseline, classes).balancedAccuracy(),
                Metrics.of(pooledMethod, classes).balancedAccuracy(),
                Bootstrap.pairedDifference(pooledMethod, pooledBaseline, replicates, 1,
                        p -> Metrics.of(p, classes).balancedAccuracy()),
                Bootstrap.pairedDifference(pooledMethod, pooledBaseline, replicates, 2,
                        p -> Metrics.of(p, classes).accuracy()),
                localisedMethod.size(), energyDifference));
    }

    /**
     * Balanced accuracy, macro-F1, the recall of each of {@code k} classes and (last) accuracy, by hand from the
     * confusion counts (cheap enough for every bootstrap replicate); a class without images has NaN
     * recall and F1 and is left out of both means.
     */
    static double[] pooledFigures(List<Prediction> predictions, int k) {
        int[] truePositives = new int[k];
        int[] actual = new int[k];
        int[] predicted = new int[k];
        for (Prediction p : predictions) {
            actual[p.trueClass()]++;
            predicted[p.predictedClass()]++;
            if (p.trueClass() == p.predictedClass()) {
                truePositives[p.trueClass()]++;
            }
        }
        double[] out = new double[3 + k];
        double recallSum = 0;
        double f1Sum = 0;
        int present = 0;
        for (int c = 0; c < k; c++) {
            if (actual[c] == 0) {
                out[2 + c] = Double.NaN;
                continue;
            }
            present++;
            out[2 + c] = (double) truePositives[c] / actual[c];
            recallSum += out[2 + c];
            f1Sum += 2.0 * truePositives[c] / (actual[c] + predicted[c]);
        }
        out[0] = present == 0 ? Double.NaN : recallSum / present;
        out[1] = present == 0 ? Double.NaN : f1Sum / present;
        int correct = 0;
        for (int tp : truePositives) {
            correct += tp;
        }
        out[2 + k] = predictions.isEmpty() ? Double.NaN : (double) correct / predictions.size();
        return out;
    }

    /** One prediction per test image: probabilities averaged over the seeds (each image is tested in one fold). */
    static List<Prediction> pooled(List<CellResult> cells) {
        Map<String, List<Prediction>> byImage = new TreeMap<>();
        for (CellResult c : cells) {
            for (Prediction p : c.test()) {
                byImage.computeIfAbsent(p.imageId(), k -> new ArrayList<>()).add(p);
            }
        }
        List<Prediction> out = new ArrayList<>();
        for (List<Prediction> same : byImage.values()) {
            Prediction first = same.get(0);
            double[] mean = new double[first.probabilities().length];
            for (Prediction p : same) {
                for (int k = 0; k < mean.length; k++) {
                    mean[k] += p.probabilities()[k] / same.size();
                }
            }
            out.add(new Prediction(first.imageId(), first.patientId(), first.trueClass(), mean, first.attributes()));
        }
        return out;
    }

    private static boolean sameImages(List<Prediction> a, List<Prediction> b) {
        return a.stream().map(Prediction::imageId).toList().equals(b.stream().map(Prediction::imageId).toList());
    }

    static double mean(double[] values) {
        double sum = 0;
        int n = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    static double sd(double[] values) {
        double m = mean(values);
        double sum = 0;
        int n = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                sum += (v - m) * (v - m);
                n++;
            }
        }
        return n < 2 ? Double.NaN : Math.sqrt(sum / (n - 1));
    }
}
