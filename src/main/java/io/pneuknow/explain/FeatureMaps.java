package io.pneuknow.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.transform.Preprocessor;
import java.util.List;

/**
 * What every class activation map starts from: a {@link ClassifierNet}, the preprocessing it was
 * trained with and the manager holding its parameters; the network input of a raw image, the
 * activation after a backbone stage, and the channel-weighted sum of an activation.
 */
final class FeatureMaps {
    final ClassifierNet net;
    final Preprocessor preprocessor;
    final NDManager manager;

    FeatureMaps(ClassifierNet net, Preprocessor preprocessor, NDManager manager) {
        if (preprocessor.channels() != net.inChannels()) {
            throw new IllegalArgumentException("preprocessor gives " + preprocessor.channels()
                    + " channels, the net takes " + net.inChannels());
        }
        this.net = net;
        this.preprocessor = preprocessor;
        this.manager = manager;
    }

    /** Number of children of a sequential backbone (valid stages are 1..this). */
    int backboneStages() {
        return net.backbone() instanceof SequentialBlock s ? s.getChildren().size() : 1;
    }

    /** The output of backbone children 0..stage-1 (the feature map for the last stage), inference mode. */
    NDArray activation(ParameterStore ps, NDArray x, int stage) {
        if (stage == backboneStages()) {
            return net.features(ps, x, false);
        }
        List<Block> children = ((SequentialBlock) net.backbone()).getChildren().values();
        NDList current = new NDList(x);
        for (int i = 0; i < stage; i++) {
            current = children.get(i).forward(ps, current, false);
        }
        return current.singletonOrThrow();
    }

    /** The raw image preprocessed as the model was trained, as a (1, C, size, size) array. */
    NDArray input(NDManager scratch, GreyImage raw) {
        int size = preprocessor.inputSize();
        float[] tensor = preprocessor.toTensor(preprocessor.prepare(raw));
        return scratch.create(tensor, new Shape(1, preprocessor.channels(), size, size));
    }

    void checkClass(int classIndex) {
        if (classIndex < 0 || classIndex >= net.numClasses()) {
            throw new IllegalArgumentException("class index " + classIndex + " must be in 0.." + (net.numClasses() - 1));
        }
    }

    /** sum_k weights[k] * activation[0, k] as [h][w], accumulated in double. */
    static float[][] weightedSum(NDArray activation, float[] weights) {
        Shape s = activation.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        int plane = h * w;
        float[] a = activation.toFloatArray();
        double[] sum = new double[plane];
        for (int k = 0; k < weights.length; k++) {
            double wk = weights[k];
            if (wk == 0) {
                continue;
            }
            for (int i = 0; i < plane; i++) {
                sum[i] += wk * a[k * plane + i];
            }
        }
        float[][] rows = new float[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rows[y][x] = (float) sum[y * w + x];
            }
        }
        return rows;
    }
}
