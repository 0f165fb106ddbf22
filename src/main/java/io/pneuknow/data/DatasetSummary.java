package io.pneuknow.data;

import java.util.ArrayList;
import java.util.List;

/** Per-class counts of a data set: images, patients and annotated images, plus a total row. */
public record DatasetSummary(List<ClassCounts> classes, ClassCounts total) {
    public DatasetSummary {
        classes = List.copyOf(classes);
    }

    /**
     * Counts for one class ("total" for all); a patient with images of several classes counts once in the total.
     * {@code guidanceOnly}: images without expert regions but with guidance regions.
     */
    public record ClassCounts(String className, int images, int patients, int annotatedImages, int guidanceOnly) {
    }

    /** Counts the samples of {@code dataset}. */
    public static DatasetSummary of(Dataset dataset) {
        List<ClassCounts> perClass = new ArrayList<>();
        for (String className : dataset.classes()) {
            perClass.add(count(className, dataset.samples().stream().filter(s -> s.className().equals(className)).toList()));
        }
        return new DatasetSummary(perClass, count("total", dataset.samples()));
    }

    private static ClassCounts count(String name, List<Sample> samples) {
        int patients = (int) samples.stream().map(Sample::patientId).distinct().count();
        int annotated = (int) samples.stream().filter(Sample::annotated).count();
        int guidance = (int) samples.stream().filter(s -> !s.guidanceRegions().isEmpty()).count();
        return new ClassCounts(name, samples.size(), patients, annotated, guidance);
    }

    /** An aligned text table: one row per class, then the total (a guidance column only when there are such images). */
    public String toTable() {
        boolean guidance = total.guidanceOnly() > 0;
        TextTable table = guidance ? new TextTable("class", "images", "patients", "annotated", "guidance only")
                : new TextTable("class", "images", "patients", "annotated");
        for (ClassCounts counts : classes) {
            row(table, counts, guidance);
        }
        row(table, total, guidance);
        return table.toString();
    }

    private static void row(TextTable table, ClassCounts counts, boolean guidance) {
        if (guidance) {
            table.row(counts.className(), counts.images(), counts.patients(), counts.annotatedImages(), counts.guidanceOnly());
        } else {
            table.row(counts.className(), counts.images(), counts.patients(), counts.annotatedImages());
        }
    }
}
