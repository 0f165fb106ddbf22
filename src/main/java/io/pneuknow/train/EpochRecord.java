package io.pneuknow.train;

import java.util.Locale;

/**
 * One row of a stage's training history. {@code trainFeatureMse} is NaN when there was no feature
 * term. {@code trainCe} and {@code valLoss} are the classification loss the stage trains with:
 * cross-entropy or focal loss, class-weighted when class weights are on. {@code valBalancedAccuracy}
 * (mean recall over the classes present in the validation images) and {@code valMacroF1} come
 * from {@link io.pneuknow.evaluate.Metrics}; they are NaN without validation images and in
 * histories written before they existed. {@code dataWaitSeconds} is the time the training thread
 * spent waiting for the loader's next batch (part of {@code seconds}; NaN in histories written
 * before it was recorded). {@code trainEnergy} is the mean energy term over the epoch's batches that
 * had one (a stage whose loss has the energy term, {@link TrainingMethod.StageLoss#plusEnergy}); NaN
 * otherwise.
 */
public record EpochRecord(int epoch, double learningRate, double alpha, double trainLoss, double trainCe,
                          double trainFeatureMse, double trainAccuracy, double valLoss, double valAccuracy,
                          double seconds, Double valBalancedAccuracy, Double valMacroF1,
                          Double dataWaitSeconds, Double trainEnergy) {
    /** The columns of {@link #toCsv}; new columns are only ever appended (readers index columns by position). */
    public static final String CSV_HEADER = "epoch,learning_rate,alpha,train_loss,train_ce,train_feature_mse,"
            + "train_accuracy,val_loss,val_accuracy,seconds,val_balanced_accuracy,val_macro_f1";

    public EpochRecord {
        valBalancedAccuracy = valBalancedAccuracy == null ? Double.NaN : valBalancedAccuracy;
        valMacroF1 = valMacroF1 == null ? Double.NaN : valMacroF1;
        dataWaitSeconds = dataWaitSeconds == null ? Double.NaN : dataWaitSeconds;
        trainEnergy = trainEnergy == null ? Double.NaN : trainEnergy;
    }

    /** A row without an energy term. */
    public EpochRecord(int epoch, double learningRate, double alpha, double trainLoss, double trainCe,
                       double trainFeatureMse, double trainAccuracy, double valLoss, double valAccuracy,
                       double seconds, Double valBalancedAccuracy, Double valMacroF1, Double dataWaitSeconds) {
        this(epoch, learningRate, alpha, trainLoss, trainCe, trainFeatureMse, trainAccuracy, valLoss, valAccuracy,
                seconds, valBalancedAccuracy, valMacroF1, dataWaitSeconds, Double.NaN);
    }

    public String toCsv() {
        return String.format(Locale.ROOT, "%d,%.6g,%.4f,%.6f,%.6f,%.6f,%.4f,%.6f,%.4f,%.1f,%.4f,%.4f", epoch,
                learningRate, alpha, trainLoss, trainCe, trainFeatureMse, trainAccuracy, valLoss, valAccuracy, seconds,
                valBalancedAccuracy, valMacroF1);
    }

    String summary() {
        String feature = (Double.isNaN(trainFeatureMse) ? "" : String.format(Locale.ROOT, " feat %.4f", trainFeatureMse))
                + (Double.isNaN(trainEnergy) ? "" : String.format(Locale.ROOT, " energy %.4f", trainEnergy));
        String val = Double.isNaN(valAccuracy) ? "no validation"
                : String.format(Locale.ROOT, "val loss %.4f acc %.3f bal-acc %.3f macro-F1 %.3f", valLoss, valAccuracy,
                valBalancedAccuracy, valMacroF1);
        return String.format(Locale.ROOT, "loss %.4f%s acc %.3f | %s | %.0fs", trainLoss, feature, trainAccuracy, val,
                seconds);
    }
}
