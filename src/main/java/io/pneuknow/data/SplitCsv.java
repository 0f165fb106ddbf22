package io.pneuknow.data;

import io.pneuknow.BadInputException;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/** Writes and reads a {@link Split} as CSV with columns image_id,patient_id,class,part. */
public final class SplitCsv {
    private static final List<String> COLUMNS = List.of("image_id", "patient_id", "class", "part");

    private SplitCsv() {
    }

    /** Writes one row per sample in the split, in data set order; the file is replaced atomically. */
    public static void write(Split split, Dataset dataset, Path file) {
        Path dir = file.toAbsolutePath().getParent();
        Path temporary = null;
        try {
            temporary = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8);
                 CSVPrinter printer = new CSVPrinter(writer, CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get())) {
                printer.printRecord(COLUMNS);
                for (Sample sample : dataset.samples()) {
                    String part = split.partOf(sample.imageId());
                    if (part != null) {
                        printer.printRecord(sample.imageId(), sample.patientId(), sample.className(), part);
                    }
                }
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temporary);
            throw new BadInputException(file + ": cannot write split (" + e.getMessage()
                    + "); check that the directory exists and is writable");
        }
    }

    /**
     * Reads a split written by {@link #write} and checks it against {@code dataset}: every image must
     * have exactly one row, every row a known image, and no patient may be in two parts.
     */
    public static Split read(Path file, Dataset dataset) {
        Problems problems = new Problems(file);
        String name = file.getFileName().toString();
        if (!Files.isRegularFile(file)) {
            problems.add(file + ": split file not found; check the path or create the split");
            problems.throwIfAny();
        }
        Csv.Table table = Csv.read(file, name);
        List<String> missing = table.missing(List.of("image_id", "part"));
        if (!missing.isEmpty()) {
            problems.add(name + " header: columns " + missing + " not found; a split file needs " + COLUMNS);
            problems.throwIfAny();
        }
        Map<String, Sample> samples = new HashMap<>();
        dataset.samples().forEach(sample -> samples.put(sample.imageId(), sample));
        Map<String, String> partOfImage = new LinkedHashMap<>();
        Map<String, Long> rowOfImage = new HashMap<>();
        Set<String> idsInFile = new HashSet<>();
        for (CSVRecord record : table.records()) {
            String where = name + " row " + record.getRecordNumber();
            String imageId = Csv.get(record, "image_id");
            String part = Csv.get(record, "part");
            idsInFile.add(imageId);
            if (!samples.containsKey(imageId)) {
                problems.add(where + ": image id '" + imageId + "' is not in the data set; remove the row or load the matching data set");
            } else if (rowOfImage.containsKey(imageId)) {
                problems.add(where + ": image id '" + imageId + "' is repeated (first at row " + rowOfImage.get(imageId)
                        + "); keep one row per image");
            } else if (part.isEmpty()) {
                problems.add(where + ": empty part for image '" + imageId + "'; fill it in");
            } else if (Split.partName(part) == null) {
                problems.add(where + ": part '" + part + "' of image '" + imageId + "' is not a part name; write "
                        + Split.SPELLINGS);
            } else {
                partOfImage.put(imageId, Split.partName(part));
                rowOfImage.put(imageId, record.getRecordNumber());
            }
        }
        for (Sample sample : dataset.samples()) {
            if (!idsInFile.contains(sample.imageId())) {
                problems.add(name + ": image '" + sample.imageId() + "' of the data set has no row; add it or re-create the split");
            }
        }
        Split.mixedNamesAndFolds(partOfImage.values()).forEach(message -> problems.add(name + ": " + message));
        Split.patientsInSeveralParts(dataset, partOfImage).forEach(message -> problems.add(name + ": " + message));
        problems.throwIfAny();
        return new Split(partOfImage, Split.orderedParts(partOfImage.values()));
    }

    private static void deleteQuietly(Path temporary) {
        try {
            if (temporary != null) {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException ignored) {
            // the original error is the one to report
        }
    }
}
