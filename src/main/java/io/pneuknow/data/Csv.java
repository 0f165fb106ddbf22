package io.pneuknow.data;

import io.pneuknow.BadInputException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** Reads a CSV file with a header row into records (Apache Commons CSV, RFC 4180 quoting). */
final class Csv {
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder()
            .setHeader().setSkipHeaderRecord(true).setTrim(true).get();

    private Csv() {
    }

    /** A parsed CSV: header names and data records (record number 1 = first data row). */
    record Table(List<String> header, List<CSVRecord> records) {
        /** The names in {@code wanted} that are not in the header. */
        List<String> missing(List<String> wanted) {
            return wanted.stream().filter(column -> !header.contains(column)).distinct().toList();
        }
    }

    /** Parses the whole file; malformed quoting becomes a {@link BadInputException} naming the line. */
    static Table read(Path file, String shownName) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            skipByteOrderMark(reader);
            CSVParser parser = CSVParser.parse(reader, FORMAT);
            List<String> header = parser.getHeaderNames();
            List<CSVRecord> records = new ArrayList<>();
            try {
                parser.forEach(records::add);
            } catch (UncheckedIOException | IllegalStateException e) {
                throw new BadInputException(shownName + " line " + parser.getCurrentLineNumber()
                        + ": cannot parse CSV (" + e.getMessage() + "); fix the quoting");
            }
            return new Table(header, records);
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new BadInputException(shownName + ": cannot read CSV (" + e.getMessage() + "); check the file");
        }
    }

    /** The record's value in {@code column}, or "" when the row is short. */
    static String get(CSVRecord record, String column) {
        return record.isSet(column) ? record.get(column) : "";
    }

    private static void skipByteOrderMark(BufferedReader reader) throws IOException {
        reader.mark(1);
        if (reader.read() != '\uFEFF') {
            reader.reset();
        }
    }
}
