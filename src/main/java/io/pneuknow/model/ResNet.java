package io.pneuknow.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.initializer.XavierInitializer;
import java.util.List;

/**
 * ResNet (He et al. 2016, "Deep Residual Learning for Image Recognition") with torchvision's exact
 * topology: conv7x7/2 (no bias), BN, ReLU, maxpool 3x3/2 p1, then four stages of BasicBlocks or
 * Bottlenecks (stride on the 3x3 conv, "v1.5"), downsample shortcut = conv1x1 + BN.
 */
final class ResNet {

    private ResNet() {}

    /**
     * Builds a ResNet classifier.
     *
     * @param bottleneck Bottleneck blocks (expansion 4) instead of BasicBlocks
     * @param depths blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18, [3, 4, 6, 3] for ResNet-50
     * @param widths stage widths (torchvision: 64, 128, 256, 512); the stem has widths[0] channels
     */
    static ClassifierNet build(boolean bottleneck, int[] depths, int[] widths,
                               int numClasses, int inChannels, float dropout) {
        int expansion = bottleneck ? 4 : 1;
        SequentialBlock backbone = new SequentialBlock()
                .add(conv(widths[0], 7, 2))
                .add(batchNorm())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        int in = widths[0];
        for (int stage = 0; stage < depths.length; stage++) {
            for (int b = 0; b < depths[stage]; b++) {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                int out = widths[stage] * expansion;
                Block main = bottleneck ? bottleneck(widths[stage], out, stride) : basic(out, stride);
                Block shortcut = stride != 1 || in != out
                        ? new SequentialBlock().add(new Conv2d(out, stride)).add(batchNorm())
                        : Blocks.identityBlock();
                backbone.add(residual(main, shortcut));
                in = out;
            }
        }
        ai.djl.nn.SequentialBlock head = ClassifierNet.standardHead(numClasses, dropout, false);
        ClassifierNet net = new ClassifierNet(backbone, head, inChannels, in, numClasses);
        // torchvision: kaiming_normal_(mode="fan_out", nonlinearity="relu") for convs; BN weight 1, bias 0
        backbone.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
        // torchvision's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight; we zero the bias
        head.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 1), Parameter.Type.WEIGHT);
        return net;
    }

    /** torchvision BasicBlock main branch: conv3x3(stride)-BN-ReLU-conv3x3-BN. */
    private static Block basic(int out, int stride) {
        return new SequentialBlock()
                .add(conv(out, 3, stride)).add(batchNorm()).add(Activation.reluBlock())
                .add(conv(out, 3, 1)).add(batchNorm());
    }

    /** torchvision Bottleneck main branch: conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1-BN. */
    private static Block bottleneck(int width, int out, int stride) {
        return new SequentialBlock()
                .add(conv(width, 1, 1)).add(batchNorm()).add(Activation.reluBlock())
                .add(conv(width, 3, stride)).add(batchNorm()).add(Activation.reluBlock())
                .add(conv(out, 1, 1)).add(batchNorm());
    }

    /** relu(main(x) + shortcut(x)); the sum is closed once ReLU has read it ({@link Intermediates}). */
    private static Block residual(Block main, Block shortcut) {
        return new ParallelBlock(branches -> {
            try (NDArray sum = branches.get(0).singletonOrThrow().add(branches.get(1).singletonOrThrow())) {
                return new NDList(Activation.relu(sum));
            }
        }, List.of(main, shortcut));
    }

    /** k x k convolution without bias, padding k/2 (so 7->3, 3->1, 1->0). */
    static ai.djl.nn.convolutional.Conv2d conv(int filters, int k, int stride) {
        return ai.djl.nn.convolutional.Conv2d.builder()
                .setKernelShape(new Shape(k, k))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(k / 2, k / 2))
                .setFilters(filters)
                .optBias(false)
                .build();
    }

    static BatchNorm batchNorm() {
        return BatchNorm.builder().build(); // eps 1e-5, momentum 0.9 (= torch's 0.1), axis 1
    }

    /**
     * The shortcut's 1x1 convolution with stride s (no bias), computed as the input subsampled with step s
     * followed by a 1x1 convolution with stride 1: the same function and the same parameter, but it avoids
     * a crash (SIGFPE in oneDNN's brgemm_convolution_bwd_strided, est_eff_1x1) of libtorch 2.7.1's CPU
     * backward pass for strided 1x1 convolutions with 512 or more input channels, which killed the JVM when
     * training resnet50 on AVX-512 CPUs at any input size. Named Conv2d on purpose: DJL names parameters
     * after the block's simple class name, so parameter names and saved parameter files stay those of
     * DJL's Conv2d.
     */
    static final class Conv2d extends ai.djl.nn.convolutional.Conv2d {

        Conv2d(int filters, int stride) {
            super(ai.djl.nn.convolutional.Conv2d.builder()
                    .setKernelShape(new Shape(1, 1))
                    .optStride(new Shape(stride, stride))
                    .setFilters(filters)
                    .optBias(false));
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            if (stride.get(0) == 1 && stride.get(1) == 1) {
                return super.forwardInternal(ps, inputs, training, params);
            }
            NDArray x = inputs.singletonOrThrow();
            NDArray subsampled = x.get(new NDIndex(":, :, ::{}, ::{}", stride.get(0), stride.get(1)));
            NDArray w = ps.getValue(weight, x.getDevice(), training);
            return conv2d(subsampled, w, null, new Shape(1, 1), new Shape(0, 0), dilation, groups);
        }
    }
}
