package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * LayerNorm over the channel axis of an (N, C, H, W) tensor, as torchvision's ConvNeXt LayerNorm2d:
 * permute to channels-last, normalise over the last axis (eps 1e-6), permute back. Learnable per-channel
 * gamma (init 1) and beta (init 0).
 *
 * <p>Why not {@code LayerNorm.builder().axis(1)}: on the PyTorch engine DJL's LayerNorm only uses its axes
 * to read the sizes of normalized_shape and then calls torch's layer_norm, which always normalises over
 * the trailing dimensions; axis(1) on NCHW would normalise over W (or fail when W != C).
 */
public final class LayerNorm2d extends AbstractBlock {

    private static final byte VERSION = 1;
    static final float EPSILON = 1e-6f;

    private final Parameter gamma;
    private final Parameter beta;

    public LayerNorm2d() {
        super(VERSION);
        gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA).build());
        beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray g = ps.getValue(gamma, x.getDevice(), training);
        NDArray b = ps.getValue(beta, x.getDevice(), training);
        NDArray nhwc = x.transpose(0, 2, 3, 1);
        NDArray y = LayerNorm.layerNorm(nhwc, new Shape(x.getShape().get(1)), g, b, EPSILON).singletonOrThrow();
        return new NDList(y.transpose(0, 3, 1, 2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        Shape channels = new Shape(inputShapes[0].get(1));
        gamma.setShape(channels);
        beta.setShape(channels);
    }
}
