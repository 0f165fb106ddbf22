package io.pneuknow.data;

import java.util.ArrayList;
import java.util.List;

/** Per-class counts of a data set: images, patients and annotated images, plus a total row. */
public record DatasetSummary(List<ClassCounts> classes, ClassCounts total) {
    public DatasetSummary {
        classes = List.copyOf(classes);
    }

    /** Counts for one class ("total" for all); a patient with images of several classes counts once in the total. */
    public record ClassCounts(String className, int images, int patients, int annotatedImages) {
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
        return new ClassCounts(name, samples.size(), patients, annotated);
    }

    /** An aligned text table: one row per class, then the total. */
    public String toTable() {
        TextTable table = new TextTable("class", "images", "patients", "annotated");
        for (ClassCounts counts : classes) {
            table.row(counts.className(), counts.images(), counts.patients(), counts.annotatedImages());
        }
        table.row(total.className(), total.images(), total.patients(), total.annotatedImages());
        return table.toString();
    }
}
