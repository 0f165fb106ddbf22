package io.pneuknow.jobs;

import io.pneuknow.train.TrainingMethods;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A study job's progress from the lines {@code pneuknow experiment} prints: {@code cell i/N ARCHITECTURE METHOD fold F
 * seed S: training} (or {@code : done earlier}) says which of the N cells runs, and the cell's epoch lines say how far
 * its stages have come ({@link JobRunner#progressOf}). Cell {@code i} (from 1) at stage fraction {@code f} is
 * {@code (i - 1 + f) / N}, scaled to the part before the study's tables and report ({@value JobRunner#EVALUATING}).
 * One instance follows one child's output, line by line.
 */
final class StudyProgress implements Function<String, Double> {
    private static final Pattern CELL = Pattern.compile("^cell (\\d+)/(\\d+) \\S+ (\\S+) fold \\S+ seed \\S+: (training|done earlier)");
    private int cell = -1;
    private int cells;
    private List<String> stages = List.of();

    @Override
    public Double apply(String line) {
        String text = line.replace("\r", "").strip();
        Matcher m = CELL.matcher(text);
        if (m.find()) {
            cell = Integer.parseInt(m.group(1)) - 1;
            cells = Integer.parseInt(m.group(2));
            stages = TrainingMethods.find(m.group(3)).map(method -> method.stages()).orElse(List.of());
            boolean done = m.group(4).equals("done earlier");
            return cells <= 0 ? null : JobRunner.EVALUATING * (cell + (done ? 1 : 0)) / cells;
        }
        if (cell < 0 || cells <= 0) {
            return null;
        }
        Double withinCell = JobRunner.progressOf(text, stages);
        return withinCell == null ? null : JobRunner.EVALUATING * (cell + withinCell / JobRunner.EVALUATING) / cells;
    }
}
