package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;
import io.pneuknow.data.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes evaluation CSV files atomically (readers see the old file or the new one). Numbers use
 * {@link Double#toString} (full precision), undefined ones "NaN"; class columns are class names.
 */
public final class EvaluationCsv {
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get();

    private EvaluationCsv() {
    }

    /** One row per image: image_id, patient_id, true, predicted, p_&lt;class&gt; for every class. */
    public static void writePredictions(Path file, List<Prediction> predictions, List<String> classNames)
            throws IOException {
        List<Object> header = new ArrayList<>(List.of("image_id", "patient_id", "true", "predicted"));
        classNames.forEach(name -> header.add("p_" + name));
        StringBuilder text = new StringBuilder();
        try (CSVPrinter printer = new CSVPrinter(text, FORMAT)) {
            printer.printRecord(header);
            for (Prediction p : predictions) {
                if (p.probabilities().length != classNames.size()) {
                    throw new BadInputException("prediction for image " + p.imageId() + " has "
                            + p.probabilities().length + " probabilities but there are " + classNames.size()
                            + " classes " + classNames);
                }
                List<Object> row = new ArrayList<>(List.of(p.imageId(), p.patientId(),
                        classNames.get(p.trueClass()), classNames.get(p.predictedClass())));
                for (double probability : p.probabilities()) {
                    row.add(Double.toString(probability));
                }
                printer.printRecord(row);
            }
        }
        AtomicFiles.writeString(file, text.toString());
    }

    /** One row per metric: metric, class ("" for overall metrics), estimate, lower, upper, note. */
    public static void writeMetrics(Path file, MetricIntervals metrics) throws IOException {
        StringBuilder text = new StringBuilder();
        try (CSVPrinter printer = new CSVPrinter(text, FORMAT)) {
            printer.printRecord("metric", "class", "estimate", "lower", "upper", "note");
            for (MetricIntervals.Row row : metrics.rows()) {
                Interval interval = row.interval();
                printer.printRecord(row.metric(), row.className(), Double.toString(interval.estimate()),
                        Double.toString(interval.lower()), Double.toString(interval.upper()), row.note());
            }
        }
        AtomicFiles.writeString(file, text.toString());
    }
}
