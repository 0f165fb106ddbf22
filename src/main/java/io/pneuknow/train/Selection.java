package io.pneuknow.train;

import java.util.List;

/**
 * Which epoch of a stage is kept, and when a stage stops early.
 *
 * <p>The kept epoch is the best by the validation metric {@code metric}: the lowest validation
 * loss ({@code loss}), or the highest balanced accuracy or macro-F1. Ties: with {@code loss} the
 * earlier epoch stays; with a metric, an epoch with the same value replaces the kept one only
 * when its validation loss is lower (balanced accuracy moves in steps of one image on small
 * validation sets, so exact ties are common and the loss is the finer signal), else the earlier
 * stays. An undefined value (NaN: no validation images, or a diverged loss) never replaces a
 * defined one; when the kept value is undefined as well, the later epoch is kept (without
 * validation the last epoch is kept, as before).
 *
 * <p>Early stopping: with {@code patience} P > 0 a stage ends after the epoch that completes P
 * epochs since the kept epoch (the counter restarts whenever the kept epoch changes, including
 * the tie rule above). For the HKD student, epochs with a feature term do not count: it stops at
 * the earliest P epochs after the last epoch with a feature term ({@code featureEpochs - 1}), so
 * the student always gets P epochs of the classification loss alone after the distillation, at
 * the point where its loss changes. The decision depends on the history alone, so a resumed
 * stage makes the same decision as an uninterrupted one.
 *
 * @param featureEpochs epochs at the start of the stage with a feature term (0 outside the student)
 */
record Selection(String metric, int patience, int featureEpochs) {
    Selection {
        if (!List.of(TrainConfig.BY_LOSS, TrainConfig.BY_BALANCED_ACCURACY, TrainConfig.BY_MACRO_F1).contains(metric)) {
            throw new IllegalArgumentException("unknown selection metric " + metric);
        }
    }

    /** The selection of a stage: the configured metric and patience; the student's feature-term epochs. */
    static Selection of(TrainConfig settings, StageTrainer.Stage stage) {
        StageTrainer.Teacher teacher = stage.teacher();
        int featureEpochs = teacher == null || teacher.alpha0() <= 0 ? 0 : Math.min(teacher.kdEpochs(), stage.epochs());
        return new Selection(settings.selectBy(), settings.patience(), Math.max(0, featureEpochs));
    }

    /** The epoch's value of the selection metric (NaN when undefined). */
    double value(EpochRecord r) {
        return switch (metric) {
            case TrainConfig.BY_BALANCED_ACCURACY -> r.valBalancedAccuracy();
            case TrainConfig.BY_MACRO_F1 -> r.valMacroF1();
            default -> r.valLoss();
        };
    }

    /** Whether {@code candidate} (a later epoch) replaces {@code kept} (null before the first epoch). */
    boolean better(EpochRecord candidate, EpochRecord kept) {
        if (kept == null) {
            return true;
        }
        double c = value(candidate);
        double k = value(kept);
        if (Double.isNaN(c)) {
            return Double.isNaN(k);
        }
        if (Double.isNaN(k)) {
            return true;
        }
        if (metric.equals(TrainConfig.BY_LOSS)) {
            return c < k;
        }
        return c > k || (c == k && candidate.valLoss() < kept.valLoss());
    }

    /** The kept epoch of a history (-1 when empty), epoch by epoch as training decides it. */
    int bestEpoch(List<EpochRecord> history) {
        int best = -1;
        for (int e = 0; e < history.size(); e++) {
            if (better(history.get(e), best < 0 ? null : history.get(best))) {
                best = e;
            }
        }
        return best;
    }

    /** Whether the stage stops early after the last epoch of {@code history}, of {@code plannedEpochs}. */
    boolean stopsAfter(List<EpochRecord> history, int bestEpoch, int plannedEpochs) {
        int done = history.size();
        if (patience <= 0 || done == 0 || done >= plannedEpochs) {
            return false;
        }
        int countFrom = Math.max(bestEpoch, featureEpochs - 1);
        return (done - 1) - countFrom >= patience;
    }

    /** The metric's name in logs. */
    String describe() {
        return switch (metric) {
            case TrainConfig.BY_BALANCED_ACCURACY -> "val balanced accuracy";
            case TrainConfig.BY_MACRO_F1 -> "val macro-F1";
            default -> "val loss";
        };
    }
}
