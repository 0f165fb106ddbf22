package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.PairList;

/**
 * A ConvNeXt block (Liu et al. 2022, "A ConvNet for the 2020s"; torchvision's CNBlock): depthwise
 * conv7x7 p3 (with bias) -> channels-last LayerNorm (eps 1e-6) -> Linear(dim, 4 dim) -> GELU ->
 * Linear(4 dim, dim) -> layer scale (learnable per-channel gamma, init 1e-6) -> stochastic depth ->
 * residual add.
 */
public final class ConvNeXtBlock extends AbstractBlock {

    private static final byte VERSION = 1;
    static final float LAYER_SCALE_INIT = 1e-6f;

    private final int dim;
    private final Conv2d depthwise;
    private final LayerNorm norm;
    private final Linear expand;
    private final Linear project;
    private final Parameter layerScale;
    private final StochasticDepth dropPath;

    public ConvNeXtBlock(int dim, float dropPathRate) {
        super(VERSION);
        this.dim = dim;
        depthwise = addChildBlock("depthwise", Conv2d.builder()
                .setKernelShape(new Shape(7, 7))
                .optPadding(new Shape(3, 3))
                .optGroups(dim)
                .setFilters(dim)
                .build());
        // applied to (N, H, W, C): axis 3 makes normalized_shape = (C), the trailing axis
        norm = addChildBlock("norm", LayerNorm.builder().axis(3).optEpsilon(LayerNorm2d.EPSILON).build());
        expand = addChildBlock("expand", Linear.builder().setUnits(4L * dim).build());
        project = addChildBlock("project", Linear.builder().setUnits(dim).build());
        dropPath = addChildBlock("dropPath", new StochasticDepth(dropPathRate));
        layerScale = addParameter(Parameter.builder()
                .setName("layerScale")
                .setType(Parameter.Type.OTHER)
                .optShape(new Shape(dim))
                .optInitializer(new ConstantInitializer(LAYER_SCALE_INIT))
                .build());
    }

    public float dropPathRate() {
        return dropPath.rate();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray y = depthwise.forward(ps, inputs, training).singletonOrThrow().transpose(0, 2, 3, 1);
        y = norm.forward(ps, new NDList(y), training).singletonOrThrow();
        y = Activation.gelu(expand.forward(ps, new NDList(y), training).singletonOrThrow());
        y = project.forward(ps, new NDList(y), training).singletonOrThrow();
        y = y.mul(ps.getValue(layerScale, y.getDevice(), training)).transpose(0, 3, 1, 2);
        y = dropPath.forward(ps, new NDList(y), training).singletonOrThrow();
        return new NDList(x.add(y));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        if (s.get(1) != dim) {
            throw new IllegalArgumentException("ConvNeXt block of width " + dim + " got input " + s);
        }
        Shape channelsLast = new Shape(s.get(0), s.get(2), s.get(3), dim);
        depthwise.initialize(manager, dataType, s);
        norm.initialize(manager, dataType, channelsLast);
        expand.initialize(manager, dataType, channelsLast);
        project.initialize(manager, dataType, new Shape(s.get(0), s.get(2), s.get(3), 4L * dim));
        dropPath.initialize(manager, dataType, s);
    }
}
