package io.pneuknow.experiment;

import io.pneuknow.data.Dataset;
import io.pneuknow.evaluate.Bootstrap;
import io.pneuknow.evaluate.ClassMetrics;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tables of a study. Descriptive: mean and standard deviation over cells per architecture and
 * method (as the paper's table), with the teacher's accuracy alongside, also without the
 * no-finding class. Primary comparison, fixed before any run: each method against the baseline
 * on the pooled out-of-fold test predictions (probabilities averaged over seeds per image), by a
 * patient-level paired bootstrap of the difference in balanced accuracy and accuracy.
 */
public record StudyTables(List<Row> rows, List<Comparison> comparisons, Map<String, Map<String, Double>> perClassF1,
                          Map<String, List<Double>> meanValLoss) {

    /** Mean and standard deviation over the cells of one architecture and method. */
    public record Row(String architecture, String method, int cells, double accuracyMean, double accuracySd,
                      double balancedAccuracyMean, double balancedAccuracySd, double macroF1Mean, double macroF1Sd,
                      double teacherAccuracyMean, double teacherAccuracySd, double teacherWithoutNoFindingMean,
                      double teacherWithoutNoFindingSd) {
    }

    /** A method against the baseline on pooled out-of-fold predictions of the same images. */
    public record Comparison(String architecture, String method, int images, double baselineBalancedAccuracy,
                             double methodBalancedAccuracy, Interval balancedAccuracyDifference,
                             Interval accuracyDifference) {
    }

    static StudyTables of(StudyConfig config, Dataset dataset, List<CellResult> results) {
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
                    sd(cells.stream().mapToDouble(CellResult::teacherTestAccuracyWithoutNoFinding).toArray())));
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
        for (String architecture : config.architectures()) {
            List<CellResult> baseline = byModel.get(architecture + "|baseline");
            if (baseline == null) {
                continue;
            }
            List<Prediction> pooledBaseline = pooled(baseline);
            for (String method : config.methods()) {
                List<CellResult> cells = byModel.get(architecture + "|" + method);
                if (method.equals("baseline") || cells == null) {
                    continue;
                }
                List<Prediction> pooledMethod = pooled(cells);
                if (!sameImages(pooledBaseline, pooledMethod)) {
                    continue;
                }
                int replicates = config.bootstrapReplicates();
                comparisons.add(new Comparison(architecture, method, pooledMethod.size(),
                        Metrics.of(pooledBaseline, classes).balancedAccuracy(),
                        Metrics.of(pooledMethod, classes).balancedAccuracy(),
                        Bootstrap.pairedDifference(pooledMethod, pooledBaseline, replicates, 1,
                                p -> Metrics.of(p, classes).balancedAccuracy()),
                        Bootstrap.pairedDifference(pooledMethod, pooledBaseline, replicates, 2,
                                p -> Metrics.of(p, classes).accuracy())));
            }
        }
        return new StudyTables(rows, comparisons, perClassF1, meanValLoss);
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

    /** The tables as Markdown. */
    String markdown() {
        StringBuilder s = new StringBuilder("# Study summary\n\n");
        s.append("Mean ± standard deviation over cells (folds x seeds); descriptive.\n\n");
        s.append("| architecture | method | cells | accuracy | balanced accuracy | macro-F1 | teacher (ROI) | teacher without no-finding |\n");
        s.append("|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s |%n", r.architecture(), r.method(),
                    r.cells(), pm(r.accuracyMean(), r.accuracySd()), pm(r.balancedAccuracyMean(), r.balancedAccuracySd()),
                    pm(r.macroF1Mean(), r.macroF1Sd()), pm(r.teacherAccuracyMean(), r.teacherAccuracySd()),
                    pm(r.teacherWithoutNoFindingMean(), r.teacherWithoutNoFindingSd())));
        }
        s.append("\n## Primary comparison: method minus baseline, pooled out-of-fold predictions\n\n");
        s.append("Patient-level paired bootstrap, 95% intervals.\n\n");
        s.append("| architecture | method | images | balanced accuracy baseline → method | difference (95% CI) | accuracy difference (95% CI) |\n");
        s.append("|---|---|---|---|---|---|\n");
        for (Comparison c : comparisons) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %d | %.3f → %.3f | %s | %s |%n", c.architecture(), c.method(),
                    c.images(), c.baselineBalancedAccuracy(), c.methodBalancedAccuracy(),
                    ci(c.balancedAccuracyDifference()), ci(c.accuracyDifference())));
        }
        s.append("\n## Per-class F1 (mean over cells)\n\n| model |");
        List<String> classes = perClassF1.values().stream().findFirst().map(m -> List.copyOf(m.keySet())).orElse(List.of());
        classes.forEach(c -> s.append(' ').append(c).append(" |"));
        s.append("\n|---|").append("---|".repeat(classes.size())).append('\n');
        perClassF1.forEach((model, f1) -> {
            s.append("| ").append(model).append(" |");
            f1.values().forEach(v -> s.append(String.format(Locale.ROOT, " %.3f |", v)));
            s.append('\n');
        });
        return s.toString();
    }

    /** Mean validation loss per epoch for each model, as CSV. */
    String learningCurvesCsv() {
        StringBuilder s = new StringBuilder("model,epoch,mean_val_loss\n");
        meanValLoss.forEach((model, curve) -> {
            for (int e = 0; e < curve.size(); e++) {
                s.append(model).append(',').append(e).append(',').append(curve.get(e)).append('\n');
            }
        });
        return s.toString();
    }

    private static String pm(double mean, double sd) {
        return Double.isNaN(mean) ? "–" : String.format(Locale.ROOT, "%.3f ± %.3f", mean, sd);
    }

    private static String ci(Interval i) {
        return String.format(Locale.ROOT, "%+.3f (%+.3f, %+.3f)", i.estimate(), i.lower(), i.upper());
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
