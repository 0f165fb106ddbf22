package io.pneuknow.pretrain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The NT-Xent loss of SimCLR (Chen et al. 2020): for 2N embeddings (two views of N images), each
 * view's partner is the positive and the other 2N - 2 views are negatives. With {@code z} the
 * L2-normalised embeddings and {@code s_ij = z_i . z_j / t},
 * {@code loss = mean_i [ -s_{i,p(i)} + log sum_{j != i} exp(s_ij) ]}, {@code p(i) = (i + N) mod 2N}.
 * The minimum for N = 1 is 0 (one candidate only); random embeddings give about {@code log(2N - 1)}.
 */
public final class NtXent {
    /** Added to a view's similarity with itself: exp of it is 0 in float32, so it drops out of the sum. */
    private static final float SELF = -1e9f;

    private NtXent() {
    }

    /**
     * The mean loss over the 2N views, a differentiable scalar.
     *
     * @param view1 embeddings (N, d) of the first views (not normalised)
     * @param view2 embeddings (N, d) of the second views, row i the partner of row i of {@code view1}
     * @param temperature the softmax temperature t, positive
     */
    public static NDArray loss(NDArray view1, NDArray view2, float temperature) {
        return perView(view1, view2, temperature).mean();
    }

    /** The loss of each of the 2N views (first views, then second views), shape (2N). */
    public static NDArray perView(NDArray view1, NDArray view2, float temperature) {
        NDArray logits = logits(view1, view2, temperature);
        int twoN = (int) logits.getShape().get(0);
        NDArray positives = positiveMask(logits.getManager(), twoN);
        return logits.logSoftmax(1).mul(positives).sum(new int[] {1}).neg();
    }

    /**
     * The share of the 2N views whose most similar other view is their partner (top-1 positive
     * accuracy, a readable companion of the loss: 1/(2N - 1) by chance).
     */
    public static double positiveTop1(NDArray view1, NDArray view2) {
        NDArray logits = logits(view1, view2, 1f);
        long[] best = logits.argMax(1).toLongArray();
        int n = best.length / 2;
        int hits = 0;
        for (int i = 0; i < best.length; i++) {
            hits += best[i] == (i + n) % best.length ? 1 : 0;
        }
        return (double) hits / best.length;
    }

    /** Cosine similarities / t of all 2N x 2N pairs, with each view's similarity to itself masked out. */
    static NDArray logits(NDArray view1, NDArray view2, float temperature) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive: " + temperature);
        }
        if (!view1.getShape().equals(view2.getShape()) || view1.getShape().dimension() != 2) {
            throw new IllegalArgumentException("views must both be (N, d): " + view1.getShape() + ", " + view2.getShape());
        }
        NDArray z = NDArrays.concat(new NDList(view1, view2), 0).normalize(2, 1, 1e-12);
        int twoN = (int) z.getShape().get(0);
        NDArray similarity = z.matMul(z.transpose()).div(temperature);
        return similarity.add(z.getManager().eye(twoN).mul(SELF));
    }

    /** 1 at (i, (i + N) mod 2N), else 0. */
    private static NDArray positiveMask(NDManager manager, int twoN) {
        int n = twoN / 2;
        float[] mask = new float[twoN * twoN];
        for (int i = 0; i < twoN; i++) {
            mask[i * twoN + (i + n) % twoN] = 1f;
        }
        return manager.create(mask, new Shape(twoN, twoN));
    }
}
