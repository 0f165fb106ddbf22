package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;

/**
 * EfficientNet-B0/B1 (Tan and Le 2019) with torchvision's topology: conv3x3/2 (32, no bias)-BN-SiLU; seven
 * stages of {@link MBConv} blocks (expand ratio, kernel, stride, output channels, repeats):
 * (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
 * (6, 5, 2, 192, 4), (6, 3, 1, 320, 1), repeats multiplied by the depth factor and rounded up (B1: 1.1);
 * then conv1x1 to 1280-BN-SiLU, which ends the backbone. BatchNorm eps 1e-5, momentum 0.1 (torchvision's
 * EfficientNet V1 uses nn.BatchNorm2d's defaults). Stochastic depth: block i of n gets maxDropPath * i / n
 * (torchvision's rule), on residual blocks only.
 */
final class EfficientNet {

    /** Expand ratio, kernel, stride, output channels, repeats of each B0 stage. */
    private static final int[][] STAGES = {
        {1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
        {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
    };
    static final int STEM = 32;
    static final int LAST = 1280;

    private EfficientNet() {}

    /** Blocks per stage for a depth factor: ceil(repeats x depth), as torchvision's adjust_depth. */
    static int[] depths(double depth) {
        int[] d = new int[STAGES.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (int) Math.ceil(STAGES[i][4] * depth);
        }
        return d;
    }

    /** Whether stage s has an expansion conv (its expand ratio is not 1). */
    static boolean expands(int stage) {
        return STAGES[stage][0] != 1;
    }

    static ClassifierNet build(double depth, int numClasses, int inChannels, float dropout, float maxDropPath) {
        int[] depths = depths(depth);
        int total = 0;
        for (int d : depths) {
            total += d;
        }
        SequentialBlock backbone = new SequentialBlock().add(convBnAct(STEM, 3, 2, 1, true));
        int in = STEM;
        int blockId = 0;
        for (int s = 0; s < STAGES.length; s++) {
            for (int b = 0; b < depths[s]; b++, blockId++) {
                int stride = b == 0 ? STAGES[s][2] : 1;
                backbone.add(new MBConv(in, STAGES[s][3], STAGES[s][0], STAGES[s][1], stride,
                        maxDropPath * blockId / total));
                in = STAGES[s][3];
            }
        }
        backbone.add(convBnAct(LAST, 1, 1, 1, true));
        SequentialBlock head = ClassifierNet.standardHead(numClasses, dropout, false);
        ClassifierNet net = new ClassifierNet(backbone, head, inChannels, LAST, numClasses);
        // torchvision: kaiming_normal_(mode="fan_out") for convs (zero biases), BN 1/0,
        // linear U(-1/sqrt(out), 1/sqrt(out)) with zero bias
        backbone.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
        head.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.OUT, 1), Parameter.Type.WEIGHT);
        return net;
    }

    /** k x k convolution (no bias, padding (k - 1) / 2) - BN - optional SiLU, as torchvision's Conv2dNormActivation. */
    static SequentialBlock convBnAct(int filters, int k, int stride, int groups, boolean act) {
        SequentialBlock block = new SequentialBlock().add(Conv2d.builder()
                .setKernelShape(new Shape(k, k))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape((k - 1) / 2, (k - 1) / 2))
                .optGroups(groups)
                .setFilters(filters)
                .optBias(false)
                .build())
                .add(ResNet.batchNorm());
        if (act) {
            block.add(Activation.swishBlock(1f)); // SiLU = x sigmoid(x)
        }
        return block;
    }

    /**
     * torchvision's MBConv: [conv1x1 to in x ratio - BN - SiLU] (when ratio != 1), depthwise k x k conv with
     * the stride - BN - SiLU, squeeze-excitation (squeeze to in / 4 channels), conv1x1 to out - BN; plus the
     * input (after stochastic depth on the branch) when stride is 1 and in == out.
     */
    static final class MBConv extends AbstractBlock {
        private static final byte VERSION = 1;

        private final Block expand;
        private final Block depthwise;
        private final SqueezeExcitation se;
        private final Block project;
        private final StochasticDepth dropPath;
        private final boolean residual;

        MBConv(int in, int out, int ratio, int kernel, int stride, float dropPathRate) {
            super(VERSION);
            int expanded = in * ratio;
            expand = ratio != 1 ? addChildBlock("expand", convBnAct(expanded, 1, 1, 1, true)) : null;
            depthwise = addChildBlock("depthwise", convBnAct(expanded, kernel, stride, expanded, true));
            se = addChildBlock("se", new SqueezeExcitation(expanded, Math.max(1, in / 4)));
            project = addChildBlock("project", convBnAct(out, 1, 1, 1, false));
            residual = stride == 1 && in == out;
            dropPath = addChildBlock("dropPath", new StochasticDepth(residual ? dropPathRate : 0f));
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDList y = inputs;
            if (expand != null) {
                y = expand.forward(ps, y, training);
            }
            y = project.forward(ps, se.forward(ps, depthwise.forward(ps, y, training), training), training);
            if (!residual) {
                return y;
            }
            NDArray branch = dropPath.forward(ps, y, training).singletonOrThrow();
            return new NDList(branch.add(inputs.singletonOrThrow()));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] s = inputShapes;
            if (expand != null) {
                s = expand.getOutputShapes(s);
            }
            return project.getOutputShapes(depthwise.getOutputShapes(s));
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] s = inputShapes;
            if (expand != null) {
                expand.initialize(manager, dataType, s);
                s = expand.getOutputShapes(s);
            }
            depthwise.initialize(manager, dataType, s);
            s = depthwise.getOutputShapes(s);
            se.initialize(manager, dataType, s);
            project.initialize(manager, dataType, s);
            dropPath.initialize(manager, dataType, project.getOutputShapes(s));
        }
    }

    /** x * sigmoid(fc2(silu(fc1(mean over H, W of x)))), fc1/fc2 being 1x1 convolutions with bias. */
    static final class SqueezeExcitation extends AbstractBlock {
        private static final byte VERSION = 1;

        private final Conv2d fc1;
        private final Conv2d fc2;

        SqueezeExcitation(int channels, int squeeze) {
            super(VERSION);
            fc1 = addChildBlock("fc1", Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(squeeze).build());
            fc2 = addChildBlock("fc2", Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(channels).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            NDArray s = x.mean(new int[] {3}, true).mean(new int[] {2}, true); // the engine keeps one axis at a time
            s = Activation.swish(fc1.forward(ps, new NDList(s), training).singletonOrThrow(), 1f);
            s = Activation.sigmoid(fc2.forward(ps, new NDList(s), training).singletonOrThrow());
            return new NDList(x.mul(s));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0]};
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape pooled = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), 1, 1);
            fc1.initialize(manager, dataType, pooled);
            fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {pooled}));
        }
    }
}
