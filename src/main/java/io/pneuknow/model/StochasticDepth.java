package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;

/**
 * Stochastic depth ("drop path", Huang et al. 2016), torchvision's {@code StochasticDepth(p, "row")}: in
 * training mode each sample's residual branch is zeroed with probability {@code rate} and otherwise scaled
 * by 1 / (1 - rate); identity in inference mode or when rate is 0. The mask is drawn with the NDManager's
 * randomUniform, i.e. from the engine's global generator, so {@code Engine.setRandomSeed} makes it
 * deterministic.
 */
public final class StochasticDepth extends AbstractBlock {

    private static final byte VERSION = 1;

    private final float rate;

    public StochasticDepth(float rate) {
        super(VERSION);
        if (rate < 0 || rate >= 1) {
            throw new IllegalArgumentException("drop rate must be in [0, 1): " + rate);
        }
        this.rate = rate;
    }

    public float rate() {
        return rate;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (!training || rate == 0) {
            return inputs;
        }
        NDArray x = inputs.singletonOrThrow();
        long[] maskShape = new long[x.getShape().dimension()];
        Arrays.fill(maskShape, 1);
        maskShape[0] = x.getShape().get(0);
        float keep = 1 - rate;
        NDArray mask = x.getManager()
                .randomUniform(0f, 1f, new Shape(maskShape), x.getDataType(), x.getDevice())
                .lt(keep)
                .toType(x.getDataType(), false)
                .div(keep);
        return new NDList(x.mul(mask));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
