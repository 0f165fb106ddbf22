package io.pneuknow.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

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
        return weightedMean(perSampleNll(logits, targets), sampleWeights);
    }

    /**
     * Focal loss (Lin et al. 2017): per sample {@code -(1 - p_y)^gamma * log p_y}, averaged as
     * {@link #crossEntropy}: the mean over the batch, or with per-sample weights (the class weight
     * of each sample's true class, the "alpha-balanced" form) {@code sum(w_y * FL) / sum(w_y)}, the
     * sum of the weights and not the number of samples. Gamma 0 gives exactly the cross-entropy.
     * Where {@code p_y} rounds to 1, {@code 1 - p_y} is held at 1e-12 without gradient, so a
     * gamma below 1 cannot produce an infinite gradient there.
     */
    public static NDArray focal(NDArray logits, NDArray targets, NDArray sampleWeights, double gamma) {
        if (gamma < 0) {
            throw new IllegalArgumentException("focal gamma " + gamma + " must be 0 or more");
        }
        NDArray nll = perSampleNll(logits, targets);
        if (gamma == 0) {
            return weightedMean(nll, sampleWeights);
        }
        NDArray oneMinusP = nll.neg().exp().neg().add(1f).clip(1e-12f, 1f);
        return weightedMean(nll.mul(oneMinusP.pow((float) gamma)), sampleWeights);
    }

    /** The classification loss with gamma from the settings: cross-entropy for 0, else focal. */
    public static NDArray classification(NDArray logits, NDArray targets, NDArray sampleWeights, double gamma) {
        return gamma == 0 ? crossEntropy(logits, targets, sampleWeights) : focal(logits, targets, sampleWeights, gamma);
    }

    /** Per-sample focal losses {@code -(1 - p_y)^gamma * log p_y} from per-sample NLLs, in plain Java (validation). */
    public static double focalOfNll(double nll, double gamma) {
        return gamma == 0 ? nll : Math.pow(Math.max(1e-12, -Math.expm1(-nll)), gamma) * nll;
    }

    private static NDArray weightedMean(NDArray perSample, NDArray sampleWeights) {
        if (sampleWeights == null) {
            return perSample.mean();
        }
        return perSample.mul(sampleWeights).sum().div(sampleWeights.sum());
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

    /** The epsilon under the square root of {@link #channelStandardised} and in {@link #attentionMaps}' norm. */
    static final float FEATURE_EPSILON = 1e-5f;
    /**
     * The weight of the attention-transfer term: beta / 2 with beta = 1000, as in Zagoruyko and
     * Komodakis's code, so that at alpha 0.5 the ratio of the attention term to cross-entropy is theirs.
     */
    static final float ATTENTION_WEIGHT = 500f;

    /**
     * Each channel of each image's feature map standardised over its positions: {@code (F - mean) /
     * sqrt(var + eps)} per (image, channel), so the distance compares the maps' patterns, not their scale.
     *
     * @param features (N, C, h, w)
     */
    public static NDArray channelStandardised(NDArray features) {
        Shape shape = features.getShape();
        NDArray flat = features.reshape(shape.get(0), shape.get(1), -1);
        NDArray mean = flat.mean(new int[] {2}, true);
        NDArray centred = flat.sub(mean);
        NDArray std = centred.square().mean(new int[] {2}, true).add(FEATURE_EPSILON).sqrt();
        return centred.div(std).reshape(shape);
    }

    /**
     * Spatial attention maps (Zagoruyko and Komodakis, ICLR 2017, "Paying more attention to
     * attention"): per image, the mean over channels of the squared features at each position,
     * flattened and divided by its L2 norm.
     *
     * @param features (N, C, h, w)
     * @return (N, h * w), each row of unit length
     */
    public static NDArray attentionMaps(NDArray features) {
        long n = features.getShape().get(0);
        NDArray q = features.square().mean(new int[] {1}).reshape(n, -1);
        NDArray norm = q.square().sum(new int[] {1}, true).sqrt().add(FEATURE_EPSILON);
        return q.div(norm);
    }

    /**
     * The attention-transfer term: per image, {@link #ATTENTION_WEIGHT} times the mean over positions
     * of the squared difference of the student's and teacher's {@link #attentionMaps}; then averaged
     * over the samples whose weight is 1, like {@link #featureMse}.
     */
    public static NDArray attentionTransfer(NDArray student, NDArray teacher, NDArray weights) {
        NDArray perSample = attentionMaps(student).sub(attentionMaps(teacher)).square().mean(new int[] {1})
                .mul(ATTENTION_WEIGHT);
        NDArray weightSum = weights.sum().maximum(1f);
        return perSample.mul(weights).sum().div(weightSum);
    }

    /** The epsilon in the denominator of {@link #energy}'s inside share. */
    static final float ENERGY_EPSILON = 1e-7f;

    /**
     * The energy term of Rao et al. (ICCV 2023, "Studying how to efficiently and effectively guide
     * models with explanations"), on class activation maps: per image, with {@code A = ReLU(cam)},
     * {@code energy_in = sum(A * shares) / (sum(A) + eps)} and the term {@code 1 - energy_in}, the
     * share of the map's positive energy outside the region; then averaged over the images whose
     * weight is 1 (those with a region). Zero, with zero gradient, when no image has a region.
     *
     * @param cam the class activation map of each image's true class (N, h, w)
     * @param shares the share of each cell covered by the image's region (N, h, w), in [0, 1]
     * @param weights 1 for an image with a region, 0 for one without (N)
     */
    public static NDArray energy(NDArray cam, NDArray shares, NDArray weights) {
        long n = cam.getShape().get(0);
        NDArray positive = Activation.relu(cam).reshape(n, -1);
        NDArray inside = positive.mul(shares.reshape(n, -1)).sum(new int[] {1});
        NDArray total = positive.sum(new int[] {1}).add(ENERGY_EPSILON);
        NDArray outside = inside.div(total).neg().add(1f);
        NDArray weightSum = weights.sum().maximum(1f);
        return outside.mul(weights).sum().div(weightSum);
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
