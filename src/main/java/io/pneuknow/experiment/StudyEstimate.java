package io.pneuknow.experiment;

import io.pneuknow.train.TrainConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * How long the cells still to train will take, from the cells already finished (of this or an
 * earlier session), and what that is based on.
 *
 * <p>A cell is estimated by the mean time of finished cells of its architecture and method (a
 * method's name includes its variants, so its input size too). A method without such cells (an HKD
 * cell while only baselines have finished) is scaled from the finished cells of its architecture
 * (else of any architecture) by {@link #work}: stage epochs times input pixels. An HKD cell is its
 * teacher's epochs plus its student's epochs with the frozen teacher's forward pass
 * ({@link #TEACHER_FORWARD} of a training step) on top; a baseline cell is its epochs. Early
 * stopping and the teacher's smaller training set (only images with an ROI) are not modelled.
 *
 * @param seconds the estimate (NaN without finished cells)
 * @param basis   per architecture and method left, what its cells' estimate rests on
 */
record StudyEstimate(double seconds, List<String> basis) {
    /** The frozen teacher's forward pass, as a share of a training step (forward and backward: about three forwards). */
    static final double TEACHER_FORWARD = 1.0 / 3;

    /** Baseline-epoch equivalents of a cell trained with {@code settings}. */
    static double epochUnits(TrainConfig settings) {
        if (!settings.distills()) {
            return settings.epochs();
        }
        return settings.teacherEpochs() + settings.finalStageEpochs() * (1 + TEACHER_FORWARD);
    }

    /** The work of a cell trained with {@code settings}, in baseline epochs at 224 x 224 pixels. */
    static double work(TrainConfig settings) {
        return epochUnits(settings) * settings.inputSize() * settings.inputSize() / (224.0 * 224.0);
    }

    /**
     * The estimate for the cells {@code left}, from the {@code finished} ones; {@code work} gives a
     * method's work ({@link #work} of its training settings).
     */
    static StudyEstimate of(List<StudyRunner.Cell> left, Collection<CellResult> finished,
                            ToDoubleFunction<StudyMethod> work) {
        if (finished.isEmpty()) {
            return new StudyEstimate(Double.NaN, List.of("no finished cell yet"));
        }
        double total = 0;
        // what each architecture and method's estimate rests on; methods with the same basis are listed together
        Map<String, String> reasons = new LinkedHashMap<>();
        for (StudyRunner.Cell cell : left) {
            String name = cell.method().name();
            String key = cell.architecture() + " " + name;
            List<CellResult> same = finished.stream()
                    .filter(r -> r.architecture().equals(cell.architecture()) && r.method().equals(name)).toList();
            if (!same.isEmpty()) {
                total += same.stream().mapToDouble(CellResult::seconds).average().orElseThrow();
                reasons.putIfAbsent(key, "the mean of its own finished cells");
                continue;
            }
            List<CellResult> sameArchitecture = finished.stream()
                    .filter(r -> r.architecture().equals(cell.architecture())).toList();
            List<CellResult> from = sameArchitecture.isEmpty() ? List.copyOf(finished) : sameArchitecture;
            double seconds = from.stream().mapToDouble(CellResult::seconds).sum();
            double done = from.stream().mapToDouble(r -> work.applyAsDouble(StudyMethod.parse(r.method()))).sum();
            total += seconds / done * work.applyAsDouble(cell.method());
            reasons.putIfAbsent(key, "scaled by stage epochs and input size from "
                    + (sameArchitecture.isEmpty() ? count(from.size()) + " of other architectures (rough)"
                    : count(from.size()).replace("finished", "finished " + cell.architecture())));
        }
        Map<String, List<String>> byReason = new LinkedHashMap<>();
        reasons.forEach((key, reason) -> byReason.computeIfAbsent(reason, r -> new ArrayList<>()).add(key));
        List<String> basis = new ArrayList<>();
        byReason.forEach((reason, keys) -> basis.add(String.join(", ", keys) + ": "
                + (keys.size() > 1 ? reason.replace("its own", "their own") : reason)));
        return new StudyEstimate(total, basis);
    }

    /** "12 min (tiny_cnn baseline, tiny_cnn hkd: the mean of their own finished cells; ...)", or "? min (no finished cell yet)". */
    String text() {
        String time = Double.isNaN(seconds) ? "?" : Long.toString(Math.round(seconds / 60));
        return time + " min (" + String.join("; ", basis) + ")";
    }

    private static String count(int cells) {
        return cells + (cells == 1 ? " finished cell" : " finished cells");
    }
}
