package io.pneuknow.experiment;

/** Renders the study's mean validation-loss curves of {@link StudyTables} as CSV (learning-curves.csv). */
public final class LearningCurvesCsv {
    /** File name in the study folder. */
    public static final String FILE = "learning-curves.csv";

    private LearningCurvesCsv() {
    }

    /** Mean validation loss per epoch for each model ({@code model,epoch,mean_val_loss}, epochs from 0). */
    public static String of(StudyTables tables) {
        StringBuilder s = new StringBuilder("model,epoch,mean_val_loss\n");
        tables.meanValLoss().forEach((model, curve) -> {
            for (int e = 0; e < curve.size(); e++) {
                s.append(model).append(',').append(e).append(',').append(curve.get(e)).append('\n');
            }
        });
        return s.toString();
    }
}
