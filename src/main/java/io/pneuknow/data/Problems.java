package io.pneuknow.data;

import io.pneuknow.BadInputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Collects input problems, one line each, and throws them together as one {@link BadInputException}. */
final class Problems {
    private final Path file;
    private final List<String> lines = new ArrayList<>();

    /** Problems found while reading {@code file} (named in the first line of the message). */
    Problems(Path file) {
        this.file = file;
    }

    void add(String line) {
        lines.add(line);
    }

    /** Throws all problems so far, if any. */
    void throwIfAny() {
        if (!lines.isEmpty()) {
            String count = lines.size() == 1 ? "1 problem" : lines.size() + " problems";
            throw new BadInputException(count + " in " + file + " (rows are 1-based data rows, header not counted):\n"
                    + String.join("\n", lines));
        }
    }
}
