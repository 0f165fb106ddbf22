package io.pneuknow.data;

import io.pneuknow.BadInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVRecord;

/**
 * A CSV list of images to predict: a column of paths (relative ones resolved against the list's folder)
 * and, optionally, a column of patient ids.
 */
public final class ImageList {
    /** Path columns looked for, in order, when none is named. */
    public static final List<String> PATH_COLUMNS = List.of("path", "file", "image");
    /** Patient columns looked for, in order, when none is named. */
    public static final List<String> PATIENT_COLUMNS = List.of("patient_id", "patient");

    /** One listed image; {@code patientId} is null when the list has no patient column. */
    public record Entry(Path file, String patientId) {
    }

    private ImageList() {
    }

    /**
     * Reads the list; {@code pathColumn} and {@code patientColumn} may be null to use the first of
     * {@link #PATH_COLUMNS} (else the first column) and of {@link #PATIENT_COLUMNS} (else none) present.
     */
    public static List<Entry> read(Path csv, String pathColumn, String patientColumn) {
        Csv.Table table = Csv.read(csv, csv.toString());
        String paths = pathColumn != null ? pathColumn : PATH_COLUMNS.stream().filter(table.header()::contains)
                .findFirst().orElse(table.header().isEmpty() ? null : table.header().get(0));
        String patients = patientColumn != null ? patientColumn
                : PATIENT_COLUMNS.stream().filter(table.header()::contains).findFirst().orElse(null);
        if (paths == null) {
            throw new BadInputException(csv + ": no header row; start the list with a header such as 'path,patient_id'");
        }
        for (String column : patients == null ? List.of(paths) : List.of(paths, patients)) {
            if (!table.header().contains(column)) {
                throw new BadInputException(csv + ": no column '" + column + "' (columns: " + String.join(", ", table.header())
                        + "); name an existing column");
            }
        }
        Path base = csv.toAbsolutePath().getParent();
        List<Entry> entries = new ArrayList<>();
        for (CSVRecord row : table.records()) {
            String value = Csv.get(row, paths);
            if (value.isBlank()) {
                throw new BadInputException(csv + " row " + row.getRecordNumber() + ": empty " + paths + "; give every row a path");
            }
            String patient = patients == null ? null : Csv.get(row, patients);
            if (patients != null && patient.isBlank()) {
                throw new BadInputException(csv + " row " + row.getRecordNumber() + ": empty " + patients
                        + "; give every row a patient id, or drop the column");
            }
            Path file = Path.of(value);
            entries.add(new Entry(file.isAbsolute() ? file : base.resolve(file), patient));
        }
        if (entries.isEmpty()) {
            throw new BadInputException(csv + ": no rows; list at least one image");
        }
        return entries;
    }
}
