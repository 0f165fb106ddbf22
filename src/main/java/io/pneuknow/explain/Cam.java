package io.pneuknow.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.pneuknow.image.GreyImage;
import java.util.List;

/**
 * CAM (Zhou et al. 2016) at feature resolution: {@code sum_k w[class, k] A_k} with w the final Linear
 * layer's weight and A the last feature map. With a head of global average pooling (+ dropout) +
 * linear it equals Grad-CAM times {@code h * w}. With a LayerNorm in the head (ConvNeXt) it is not the
 * model's evidence, so {@link #raw} refuses such heads ({@link #isExact()} is false): use {@link GradCam}.
 */
final class Cam {
    private final FeatureMaps maps;
    private final boolean exact;

    Cam(FeatureMaps maps) {
        this.maps = maps;
        this.exact = headIsPoolDropoutLinear(maps.net.head());
    }

    /** Whether CAM is available: the head is global pooling, dropout and linear only (no LayerNorm). */
    boolean isExact() {
        return exact;
    }

    /** CAM at feature resolution, [h][w], signed (before ReLU and normalisation), without the bias. */
    float[][] raw(GreyImage raw, int classIndex) {
        maps.checkClass(classIndex);
        if (!exact) {
            throw new IllegalStateException("the head has more than pooling, dropout and linear (e.g. ConvNeXt's "
                    + "LayerNorm): CAM is not the model's evidence there; use gradCam");
        }
        try (NDManager scratch = maps.manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scratch, false);
            NDArray features = maps.net.features(ps, maps.input(scratch, raw), false); // (1, C, h, w)
            NDArray weight = linearWeight(maps.net.head()); // (classes, C)
            float[] w = weight.get(classIndex).toFloatArray();
            if (w.length != features.getShape().get(1)) {
                throw new IllegalStateException("the head's weight has " + w.length + " inputs, the features "
                        + features.getShape().get(1) + " channels");
            }
            return FeatureMaps.weightedSum(features, w);
        }
    }

    private static boolean headIsPoolDropoutLinear(Block head) {
        if (!(head instanceof SequentialBlock s)) {
            return false;
        }
        List<Block> children = s.getChildren().values();
        if (children.isEmpty() || !(children.get(children.size() - 1) instanceof Linear)) {
            return false;
        }
        // the standard head: global pooling (a LambdaBlock), dropout (optional), linear
        for (int i = 0; i < children.size() - 1; i++) {
            Block child = children.get(i);
            boolean pool = i == 0 && child instanceof LambdaBlock;
            if (!pool && !(child instanceof Dropout)) {
                return false;
            }
        }
        return true;
    }

    /** The weight (classes, channels) of the last Linear block in the head. */
    private static NDArray linearWeight(Block head) {
        List<Block> children = ((SequentialBlock) head).getChildren().values();
        Block linear = children.get(children.size() - 1);
        for (Pair<String, Parameter> p : linear.getParameters()) {
            if (p.getValue().getType() == Parameter.Type.WEIGHT) {
                return p.getValue().getArray();
            }
        }
        throw new IllegalStateException("the head's Linear layer has no weight");
    }
}
