package io.pneuknow.experiment;

import io.pneuknow.evaluate.ClassLocalisation;
import io.pneuknow.evaluate.Interval;
import io.pneuknow.report.Numbers;
import io.pneuknow.experiment.StudyTables.Comparison;
import io.pneuknow.experiment.StudyTables.FractionPoint;
import io.pneuknow.experiment.StudyTables.LocalisationRow;
import io.pneuknow.experiment.StudyTables.PooledRow;
import io.pneuknow.experiment.StudyTables.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders {@link StudyTables} as Markdown (the study folder's summary.md, also printed by {@code pneuknow
 * experiment}): the per-model table, the primary comparison, the pooled and prior-shifted figures, per-class F1,
 * localisation and the annotation-fraction curve. Computes nothing.
 */
public final class SummaryMarkdown {
    /** File name in the study folder. */
    public static final String FILE = "summary.md";

    private SummaryMarkdown() {
    }

    /** The study's tables as Markdown, as summary.md holds them. */
    public static String of(StudyTables tables) {
        StringBuilder s = new StringBuilder("# Study summary\n\n");
        s.append("Mean ± standard deviation over cells (folds x seeds); descriptive. Minutes: mean wall time of a")
                .append(" cell (training, testing and its heat maps) as run, on whatever else the machine was doing; a")
                .append(" resumed cell counts only the time after its resume.\n\n");
        s.append("| architecture | method | cells | accuracy | balanced accuracy | macro-F1 | teacher (ROI) | teacher without no-finding | minutes per cell |\n");
        s.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : tables.rows()) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %.1f |%n", r.architecture(),
                    r.method(), r.cells(), pm(r.accuracyMean(), r.accuracySd()),
                    pm(r.balancedAccuracyMean(), r.balancedAccuracySd()), pm(r.macroF1Mean(), r.macroF1Sd()),
                    pm(r.teacherAccuracyMean(), r.teacherAccuracySd()),
                    pm(r.teacherWithoutNoFindingMean(), r.teacherWithoutNoFindingSd()), r.minutesMean()));
        }
        s.append("\n## Primary comparison: method minus its reference, pooled out-of-fold predictions\n\n");
        s.append("Patient-level paired bootstrap, 95% intervals. The reference is the baseline with the same variants;")
                .append(" for a baseline with variants, the plain baseline; or as the study file's \"comparisons\" pair them.\n\n");
        s.append("| architecture | method | reference | images | balanced accuracy reference → method | difference (95% CI) | accuracy difference (95% CI) | heat inside regions, difference (95% CI; annotated images) |\n");
        s.append("|---|---|---|---|---|---|---|---|\n");
        for (Comparison c : tables.comparisons()) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.3f → %.3f | %s | %s | %s |%n", c.architecture(), c.method(),
                    c.reference(), c.images(), c.baselineBalancedAccuracy(), c.methodBalancedAccuracy(),
                    ci(c.balancedAccuracyDifference()), ci(c.accuracyDifference()),
                    c.energyDifference() == null ? "–" : ci(c.energyDifference()) + " (" + c.localisedImages() + ")"));
        }
        if (!tables.pooled().isEmpty()) {
            s.append("\n## Pooled out-of-fold figures with 95% intervals\n\n");
            s.append("Probabilities averaged over seeds per image; patient-level bootstrap. Chance recall is 1/classes.\n\n");
            pooledTable(s, tables.pooled());
        }
        if (tables.priorShifted() != null && !tables.priorShifted().isEmpty()) {
            s.append("\n## Moved to the training prior\n\n");
            s.append("Models trained with class-balanced sampling or class weights (one of them) learned a uniform class prior. Here")
                    .append(" each cell's test probabilities are multiplied by its training part's class frequencies and")
                    .append(" renormalised (Bayes' rule), as a model would predict where the classes occur as often as in")
                    .append(" training; then pooled as above.\n\n");
            pooledTable(s, tables.priorShifted());
        }
        s.append("\n## Per-class F1 (mean over cells)\n\n| model |");
        List<String> classes = tables.perClassF1().values().stream().findFirst().map(m -> List.copyOf(m.keySet())).orElse(List.of());
        classes.forEach(c -> s.append(' ').append(c).append(" |"));
        s.append("\n|---|").append("---|".repeat(classes.size())).append('\n');
        tables.perClassF1().forEach((model, f1) -> {
            s.append("| ").append(model).append(" |");
            f1.values().forEach(v -> s.append(String.format(Locale.ROOT, " %.3f |", v)));
            s.append('\n');
        });
        if (!tables.localisation().isEmpty()) {
            s.append("\n## Localisation: Grad-CAM of the true class against the expert's regions\n\n");
            s.append("Annotated test images only. Mean ± sd over cells; pooled: scores averaged over seeds per image,")
                    .append(" patient-level 95% intervals. Energy: share of the heat inside the regions; hit: hottest")
                    .append(" pixel inside; IoU of the map thresholded at half its maximum; AUPRC of heat for region pixels.\n\n");
            s.append("| architecture | method | images | energy | hit rate | IoU | AUPRC | pooled energy (95% CI) | pooled hit rate (95% CI) |\n");
            s.append("|---|---|---|---|---|---|---|---|---|\n");
            for (LocalisationRow l : tables.localisation()) {
                s.append(String.format(Locale.ROOT, "| %s | %s | %d%s | %s | %s | %s | %s | %s | %s |%n", l.architecture(),
                        l.method(), l.images(), l.undefined() > 0 ? " (+" + l.undefined() + " undefined)" : "",
                        pm(l.energyMean(), l.energySd()), pm(l.hitRateMean(), l.hitRateSd()), pm(l.iouMean(), l.iouSd()),
                        pm(l.auprcMean(), l.auprcSd()), interval(l.energy()), interval(l.hitRate())));
            }
            s.append("\n### Localisation per class (pooled energy, 95% CI)\n\n");
            for (LocalisationRow l : tables.localisation()) {
                s.append("- ").append(l.architecture()).append(' ').append(l.method()).append(": ");
                List<String> parts = new ArrayList<>();
                l.perClass().forEach((cls, v) -> parts.add(cls + " " + (v instanceof ClassLocalisation.Scored m
                        ? interval(m.energy()) + " (" + m.images() + " images)" : ((ClassLocalisation.TooFew) v).reason())));
                s.append(parts.isEmpty() ? "no annotated images" : String.join("; ", parts)).append('\n');
            }
        }
        if (!tables.annotationFraction().isEmpty()) {
            s.append("\n## Annotation-fraction curve\n\n");
            s.append("HKD whose teacher trained on a share of the training images (epochs scaled by 1 / share), the student on all of them; mean ± sd over cells.\n\n");
            s.append("| architecture | fraction | cells | balanced accuracy | accuracy | heat inside regions |\n|---|---|---|---|---|---|\n");
            for (FractionPoint f : tables.annotationFraction()) {
                s.append(String.format(Locale.ROOT, "| %s | %.2f | %d | %s | %s | %s |%n", f.architecture(), f.fraction(),
                        f.cells(), pm(f.balancedAccuracyMean(), f.balancedAccuracySd()), pm(f.accuracyMean(), f.accuracySd()),
                        Double.isNaN(f.energyMean()) ? "–" : String.format(Locale.ROOT, "%.3f", f.energyMean())));
            }
        }
        return s.toString();
    }

    private static void pooledTable(StringBuilder s, List<PooledRow> rows) {
        List<String> names = List.copyOf(rows.get(0).recall().keySet());
        s.append("| architecture | method | images | balanced accuracy | macro-F1 | accuracy |");
        names.forEach(c -> s.append(" recall ").append(c).append(" |"));
        s.append("\n|---|---|---|---|---|---|").append("---|".repeat(names.size())).append('\n');
        for (PooledRow r : rows) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s |", r.architecture(), r.method(), r.images(),
                    estimateWithCi(r.balancedAccuracy()), estimateWithCi(r.macroF1()), estimateWithCi(r.accuracy())));
            r.recall().values().forEach(i -> s.append(' ').append(estimateWithCi(i)).append(" |"));
            s.append('\n');
        }
    }

    private static String interval(Interval i) {
        return Numbers.withInterval(i, "–");
    }

    /** "mean ± sd"; the mean alone for a single cell (sd NaN), "–" without a mean. */
    private static String pm(double mean, double sd) {
        return Numbers.meanSd(mean, sd, "–");
    }

    private static String estimateWithCi(Interval i) {
        if (i == null) {
            return "–";
        }
        return Double.isNaN(i.estimate()) ? "–"
                : String.format(Locale.ROOT, "%.3f (%.3f, %.3f)", i.estimate(), i.lower(), i.upper());
    }

    private static String ci(Interval i) {
        return Numbers.signed(i, "–");
    }
}
