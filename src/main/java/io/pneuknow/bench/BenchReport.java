package io.pneuknow.bench;

import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one bench run measured: rows (a median over the runs, with every run), the targets of issue
 * 7 as met / not met / inconclusive / not measured, notes (what was skipped and why), the machine and settings, and
 * the conditions each side of the race ran under (issue 21: allocator, threads, CPUs, as given and as seen in /proc).
 */
public record BenchReport(String date, String command, Map<String, Object> machine, Map<String, Object> settings,
                          Map<String, Object> conditions, List<Row> rows, List<Target> targets, List<String> notes) {
    /** A measurement: {@code value} is the median of {@code runs} (or the one value). */
    public record Row(String id, String label, double value, String unit, List<Double> runs, String note) {
    }

    /**
     * A target: {@code value} compared with {@code threshold} by {@code comparison} ("<=" or ">=");
     * {@code met} null when it could not be measured in this run (value NaN, see {@code note}) or when its interval
     * ({@code low}..{@code high}, NaN where there is none) holds the threshold: inconclusive.
     */
    public record Target(String id, String label, double value, String comparison, double threshold, Boolean met,
                         String note, double low, double high) {
        /** "met", "NOT met", "inconclusive" or "not measured". */
        public String verdict() {
            return met == null ? Double.isNaN(value) ? "not measured" : "inconclusive" : met ? "met" : "NOT met";
        }
    }

    /** Collects rows, targets and notes during a run. */
    static final class Builder {
        final Map<String, Object> machine = new LinkedHashMap<>();
        final Map<String, Object> settings = new LinkedHashMap<>();
        final Map<String, Object> conditions = new LinkedHashMap<>();
        final List<Row> rows = new ArrayList<>();
        final List<Target> targets = new ArrayList<>();
        final List<String> notes = new ArrayList<>();

        Row row(String id, String label, String unit, double[] runs, String note) {
            List<Double> list = new ArrayList<>();
            for (double r : runs) {
                list.add(r);
            }
            Row row = new Row(id, label, Stats.median(runs), unit, list, note);
            rows.add(row);
            return row;
        }

        Row row(String id, String label, String unit, double value, String note) {
            return row(id, label, unit, new double[] {value}, note);
        }

        void target(String id, String label, double value, String comparison, double threshold, String note) {
            Boolean met = Double.isNaN(value) ? null
                    : comparison.equals("<=") ? value <= threshold : value >= threshold;
            targets.add(new Target(id, label, value, comparison, threshold, met, note, Double.NaN, Double.NaN));
        }

        /**
         * A ratio target decided by its interval (issue 21's rule, docs/benchmarks.md): met when the interval's lower
         * end is at least the threshold, NOT met when its upper end is below it, else inconclusive; with one round
         * (no interval) the point value decides, and the note says so.
         */
        void atLeast(String id, String label, Stats.RatioInterval ratio, double threshold, String note) {
            Boolean met = ratio.n() < 2 ? (Boolean) (ratio.center() >= threshold)
                    : ratio.low() >= threshold ? Boolean.TRUE : ratio.high() < threshold ? Boolean.FALSE : null;
            String n = ratio.describe() + (ratio.n() < 2 ? "; one round decides by its value alone" : "")
                    + (note == null ? "" : "; " + note);
            targets.add(new Target(id, label, ratio.center(), ">=", threshold, met, n, ratio.low(), ratio.high()));
        }

        /**
         * A "no growth" target decided by a slope's interval (issue 21, item 3; docs/benchmarks.md): met (no growth
         * shown) when the interval's upper end is below the threshold, NOT met (growth) when its lower end is above
         * it, else inconclusive; without an interval (under 3 points) inconclusive.
         */
        void slopeAtMost(String id, String label, Stats.SlopeInterval slope, double threshold, String unit, String note) {
            Boolean met = slope.high() < threshold ? Boolean.TRUE : slope.low() > threshold ? Boolean.FALSE : null;
            String n = slope.describe(unit) + (note == null ? "" : "; " + note);
            targets.add(new Target(id, label, slope.slope(), "<=", threshold, met, n, slope.low(), slope.high()));
        }

        void notMeasured(String id, String label, String comparison, double threshold, String why) {
            targets.add(new Target(id, label, Double.NaN, comparison, threshold, null, why, Double.NaN, Double.NaN));
        }

        BenchReport build(String date, String command) {
            return new BenchReport(date, command, machine, settings, conditions, List.copyOf(rows), List.copyOf(targets),
                    List.copyOf(notes));
        }
    }

    /** The report as Markdown: machine, command, the table of rows, the targets, the notes. */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder("# pneuknow bench\n\n");
        md.append("- date: ").append(date).append('\n');
        md.append("- command: `").append(command).append("`\n");
        machine.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append("- settings: ");
        List<String> s = new ArrayList<>();
        settings.forEach((k, v) -> s.add(k + "=" + v));
        md.append(String.join(", ", s)).append("\n\n");
        if (!conditions.isEmpty()) {
            md.append("Race conditions (as given, and as seen in /proc for every process of each side's tree):\n\n");
            conditions.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
            md.append('\n');
        }
        md.append("| measurement | median | unit | runs | note |\n|---|---:|---|---|---|\n");
        for (Row r : rows) {
            List<String> runs = r.runs().stream().map(BenchReport::number).toList();
            md.append("| ").append(r.label()).append(" | ").append(number(r.value())).append(" | ").append(r.unit())
                    .append(" | ").append(String.join(", ", runs)).append(" | ").append(r.note() == null ? "" : r.note())
                    .append(" |\n");
        }
        md.append("\n| target | value | required | verdict | note |\n|---|---:|---|---|---|\n");
        for (Target t : targets) {
            md.append("| ").append(t.label()).append(" | ").append(number(t.value())).append(" | ")
                    .append(t.comparison()).append(' ').append(number(t.threshold())).append(" | ").append(t.verdict())
                    .append(" | ").append(t.note() == null ? "" : t.note()).append(" |\n");
        }
        if (!notes.isEmpty()) {
            md.append("\nNotes:\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
        }
        return md.toString();
    }

    /** Writes bench.json and bench.md into {@code dir}, each atomically. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve("bench.json"), o -> Json.MAPPER.writeValue(o, this));
        AtomicFiles.writeString(dir.resolve("bench.md"), toMarkdown());
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 0.01) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
