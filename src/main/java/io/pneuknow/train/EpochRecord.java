package io.pneuknow.train;

import java.util.Locale;

/** One row of a stage's training history. {@code trainFeatureMse} is NaN when there was no feature term. */
public record EpochRecord(int epoch, double learningRate, double alpha, double trainLoss, double trainCe,
                          double trainFeatureMse, double trainAccuracy, double valLoss, double valAccuracy,
                          double seconds) {
    public static final String CSV_HEADER =
            "epoch,learning_rate,alpha,train_loss,train_ce,train_feature_mse,train_accuracy,val_loss,val_accuracy,seconds";

    public String toCsv() {
        return String.format(Locale.ROOT, "%d,%.6g,%.4f,%.6f,%.6f,%.6f,%.4f,%.6f,%.4f,%.1f", epoch, learningRate,
                alpha, trainLoss, trainCe, trainFeatureMse, trainAccuracy, valLoss, valAccuracy, seconds);
    }

    String summary() {
        String feature = Double.isNaN(trainFeatureMse) ? "" : String.format(Locale.ROOT, " feat %.4f", trainFeatureMse);
        return String.format(Locale.ROOT, "loss %.4f%s acc %.3f | val loss %.4f acc %.3f | %.0fs", trainLoss, feature,
                trainAccuracy, valLoss, valAccuracy, seconds);
    }
}
