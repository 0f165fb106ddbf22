package io.pneuknow.explain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.NoGrad;
import java.util.List;

/**
 * Grad-CAM (Selvaraju et al. 2017) at feature resolution: the feature map A (from the backbone, or
 * from an earlier child of a sequential backbone) is detached and made a leaf that requires a
 * gradient, the rest of the net runs under a gradient tape, and the map is {@code sum_k alpha_k A_k}
 * with {@code alpha_k} the spatial mean of d logit[class] / d A_k. (DJL returns zeros, silently, for
 * the gradient of a non-leaf activation, hence the detach.) Signed, before ReLU and normalisation:
 * {@link CellPlacement#toImage} makes a heat map of it. Not thread-safe (one gradient tape per engine).
 */
final class GradCam {
    private final FeatureMaps maps;

    GradCam(FeatureMaps maps) {
        this.maps = maps;
    }

    /** Grad-CAM at the resolution of backbone child {@code stage - 1}'s output, [h][w], signed. */
    float[][] raw(GreyImage raw, int classIndex, int stage) {
        maps.checkClass(classIndex);
        int stages = maps.backboneStages();
        if (stage < 1 || stage > stages) {
            throw new IllegalArgumentException("stage " + stage + " must be in 1.." + stages);
        }
        if (stage < stages && !(maps.net.backbone() instanceof SequentialBlock)) {
            throw new IllegalArgumentException("earlier stages need a SequentialBlock backbone");
        }
        try (NDManager scratch = maps.manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scratch, false);
            NDArray x = maps.input(scratch, raw);
            NDArray activation;
            List<Block> children = null;
            // up to the cell's stage, no gradient is needed (the tape starts at the activation)
            try (NoGrad ignored = NoGrad.start()) {
                if (stage == stages) {
                    activation = maps.net.features(ps, x, false);
                } else {
                    children = ((SequentialBlock) maps.net.backbone()).getChildren().values();
                    NDList current = new NDList(x);
                    for (int i = 0; i < stage; i++) {
                        current = children.get(i).forward(ps, current, false);
                    }
                    activation = current.singletonOrThrow();
                }
            }
            NDArray leaf = activation.stopGradient().duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray features = leaf;
                if (children != null) {
                    NDList current = new NDList(leaf);
                    for (int i = stage; i < children.size(); i++) {
                        current = children.get(i).forward(ps, current, false);
                    }
                    features = current.singletonOrThrow();
                }
                NDArray logits = maps.net.headForward(ps, features, false);
                tape.backward(logits.get(0, classIndex));
            }
            float[] gradient = leaf.getGradient().toFloatArray(); // (1, C, h, w)
            Shape shape = leaf.getShape();
            int channels = (int) shape.get(1);
            int plane = (int) (shape.get(2) * shape.get(3));
            float[] alpha = new float[channels];
            for (int k = 0; k < channels; k++) {
                double sum = 0;
                for (int i = 0; i < plane; i++) {
                    sum += gradient[k * plane + i];
                }
                alpha[k] = (float) (sum / plane);
            }
            return FeatureMaps.weightedSum(leaf.stopGradient(), alpha);
        }
    }
}
