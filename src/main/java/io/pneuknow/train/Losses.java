package io.pneuknow.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** The training losses, as differentiable NDArray expressions. */
public final class Losses {
    private Losses() {
    }

    /** Per-sample negative log-likelihood of the true class. */
    public static NDArray perSampleNll(NDArray logits, NDArray targets) {
        int classes = (int) logits.getShape().get(1);
        NDArray oneHot = targets.toType(DataType.INT64, false).oneHot(classes);
        return logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg();
    }

    /**
     * Cross-entropy averaged over the batch; with per-sample weights (the class weight of each
     * sample's true class), PyTorch's weighted mean {@code sum(w_y * nll) / sum(w_y)}.
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets, NDArray sampleWeights) {
        NDArray nll = perSampleNll(logits, targets);
        if (sampleWeights == null) {
            return nll.mean();
        }
        return nll.mul(sampleWeights).sum().div(sampleWeights.sum());
    }

    /**
     * The feature term: per sample, the mean squared difference over every element of the feature
     * map; then averaged over the samples whose weight is 1 (those with an ROI). Zero when no
     * sample in the batch has an ROI, so few annotated images do not silently shrink alpha.
     */
    public static NDArray featureMse(NDArray student, NDArray teacher, NDArray weights) {
        long n = student.getShape().get(0);
        NDArray perSample = student.sub(teacher).square().reshape(n, -1).mean(new int[] {1});
        NDArray weightSum = weights.sum().maximum(1f);
        return perSample.mul(weights).sum().div(weightSum);
    }

    /** Index of the largest logit per row. */
    public static int[] argmax(NDArray logits) {
        long[] idx = logits.argMax(1).toLongArray();
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = (int) idx[i];
        }
        return out;
    }
}
