package io.pneuknow.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.NoGrad;

/**
 * The frozen teacher's feature maps of a batch's ROI views, for one distillation stage. Views that
 * show something go through the teacher; the all-black view (a sample without a region, or whose
 * region is out of view) is the same image for every such sample, and the teacher is frozen and in
 * inference mode, so its features of it are computed once per stage and copied. On real data most
 * images have no drawn region, and this skips most of the teacher's work; with a region in every
 * view it is the plain batched forward pass.
 */
final class TeacherPass {
    private final Block teacher;
    private final ParameterStore store;
    private final boolean previousLevel;
    private float[] blankFeatures;
    private long[] featureShape;
    private long viewsSeen;
    private long viewsForwarded;

    TeacherPass(Block teacher, ParameterStore store) {
        this(teacher, store, false);
    }

    /** With {@code previousLevel}, the maps of the level before the last ({@link ClassifierNet#previousAndLastMaps}). */
    TeacherPass(Block teacher, ParameterStore store, boolean previousLevel) {
        this.teacher = teacher;
        this.store = store;
        this.previousLevel = previousLevel;
    }

    /**
     * Features of the {@code n} views in {@code roi} (CHW each, {@code inputShape} for the batch),
     * {@code blank[i]} where view i is the all-black image; arrays in {@code batch}.
     */
    NDArray features(NDManager batch, float[] roi, boolean[] blank, Shape inputShape) {
        int n = blank.length;
        int per = (int) (inputShape.size() / n);
        int shown = 0;
        int firstBlank = -1;
        for (int i = 0; i < n; i++) {
            if (blank[i]) {
                firstBlank = firstBlank < 0 ? i : firstBlank;
            } else {
                shown++;
            }
        }
        viewsSeen += n;
        viewsForwarded += shown;
        if (shown == n) {
            return forward(batch.create(roi, inputShape));
        }
        if (blankFeatures == null) {
            float[] one = new float[per];
            System.arraycopy(roi, firstBlank * per, one, 0, per);
            try (NDManager tmp = batch.newSubManager()) {
                NDArray f = forward(tmp.create(one, batchOf(1, inputShape)));
                featureShape = f.getShape().getShape();
                blankFeatures = f.toFloatArray();
            }
        }
        int featurePer = blankFeatures.length;
        float[] all = new float[n * featurePer];
        float[] computed = null;
        if (shown > 0) {
            float[] in = new float[shown * per];
            for (int i = 0, k = 0; i < n; i++) {
                if (!blank[i]) {
                    System.arraycopy(roi, i * per, in, k++ * per, per);
                }
            }
            try (NDManager tmp = batch.newSubManager()) {
                computed = forward(tmp.create(in, batchOf(shown, inputShape))).toFloatArray();
            }
        }
        for (int i = 0, k = 0; i < n; i++) {
            if (blank[i]) {
                System.arraycopy(blankFeatures, 0, all, i * featurePer, featurePer);
            } else {
                System.arraycopy(computed, k++ * featurePer, all, i * featurePer, featurePer);
            }
        }
        return batch.create(all, batchOf(n, new Shape(featureShape)));
    }

    /** The share of ROI views the teacher ran on so far (1 when every view showed a region). */
    double forwardedShare() {
        return viewsSeen == 0 ? 1 : (double) viewsForwarded / viewsSeen;
    }

    private NDArray forward(NDArray x) {
        try (NoGrad ignored = NoGrad.start()) {
            if (previousLevel) {
                return ((ClassifierNet) teacher).previousAndLastMaps(store, x, false).get(0);
            }
            if (teacher instanceof ClassifierNet classifier) {
                return classifier.features(store, x, false);
            }
            return teacher.forward(store, new NDList(x), false).get(1);
        }
    }

    /** {@code shape} with its first dimension set to {@code n}. */
    private static Shape batchOf(long n, Shape shape) {
        long[] dims = shape.getShape().clone();
        dims[0] = n;
        return new Shape(dims);
    }
}
