package io.pneuknow.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain-text table: first column left-aligned, the others right-aligned, columns padded to their widest cell. */
final class TextTable {
    private final List<List<String>> rows = new ArrayList<>();

    TextTable(String... header) {
        rows.add(List.of(header));
    }

    void row(Object... cells) {
        rows.add(Arrays.stream(cells).map(String::valueOf).toList());
    }

    @Override
    public String toString() {
        int columns = rows.get(0).size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (List<String> row : rows) {
            for (int c = 0; c < columns; c++) {
                String format = c == 0 ? "%-" + widths[c] + "s" : "  %" + widths[c] + "s";
                text.append(String.format(format, row.get(c)));
            }
            text.append('\n');
        }
        return text.toString();
    }
}
