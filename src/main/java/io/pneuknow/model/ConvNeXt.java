package io.pneuknow.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.initializer.NormalInitializer;

/**
 * ConvNeXt (Liu et al. 2022, "A ConvNet for the 2020s") with torchvision's topology: stem conv4x4/4 +
 * LayerNorm2d; stages of {@link ConvNeXtBlock}s; between stages LayerNorm2d + conv2x2/2; classifier
 * LayerNorm + linear (after global average pooling).
 */
final class ConvNeXt {

    private ConvNeXt() {}

    /**
     * Builds a ConvNeXt classifier.
     *
     * @param maxDropPath stochastic depth rate of the last block; block i of n gets maxDropPath * i / (n - 1)
     *     as in torchvision (0 = off)
     */
    static ClassifierNet build(int[] depths, int[] dims, int numClasses, int inChannels, float dropout,
                               float maxDropPath) {
        SequentialBlock backbone = new SequentialBlock().add(conv(dims[0], 4)).add(new LayerNorm2d());
        int total = 0;
        for (int d : depths) {
            total += d;
        }
        int blockId = 0;
        for (int stage = 0; stage < depths.length; stage++) {
            if (stage > 0) {
                backbone.add(new LayerNorm2d()).add(conv(dims[stage], 2));
            }
            for (int b = 0; b < depths[stage]; b++, blockId++) {
                float rate = total > 1 ? maxDropPath * blockId / (total - 1f) : 0f;
                backbone.add(new ConvNeXtBlock(dims[stage], rate));
            }
        }
        SequentialBlock head = ClassifierNet.standardHead(numClasses, dropout, true);
        ClassifierNet net = new ClassifierNet(backbone, head, inChannels, dims[dims.length - 1], numClasses);
        // torchvision: trunc_normal_(std=0.02) with bounds +-2 (i.e. +-100 sigma: a plain normal) for conv and
        // linear weights, zero biases. DJL's TruncatedNormalInitializer cuts at +-2 sigma, so it is not used.
        net.setInitializer(new NormalInitializer(0.02f), Parameter.Type.WEIGHT);
        return net;
    }

    /** k x k convolution with stride k and bias (stem: k = 4, downsampling: k = 2). */
    private static Conv2d conv(int filters, int k) {
        return Conv2d.builder()
                .setKernelShape(new Shape(k, k))
                .optStride(new Shape(k, k))
                .setFilters(filters)
                .build();
    }
}
