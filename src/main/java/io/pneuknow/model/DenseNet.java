package io.pneuknow.model;

import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.initializer.XavierInitializer;
import java.util.List;

/**
 * DenseNet-BC (Huang et al. 2017, "Densely Connected Convolutional Networks") with torchvision's topology,
 * the usual chest X-ray backbone (CheXNet, torchxrayvision): conv7x7/2 (no bias), BN, ReLU, maxpool 3x3/2 p1;
 * dense blocks whose layers (BN-ReLU-conv1x1 to bnSize x growth, BN-ReLU-conv3x3 to growth, no biases)
 * append their output to their input along the channels; between blocks a transition BN-ReLU-conv1x1
 * (halving the channels)-avgpool 2x2/2; after the last block BN and ReLU (torchvision applies that ReLU in
 * its forward, before pooling: here it ends the backbone, so the feature map is what the head pools).
 */
final class DenseNet {

    private DenseNet() {}

    /**
     * Builds a DenseNet classifier.
     *
     * @param blocks layers per dense block, e.g. [6, 12, 24, 16] for DenseNet-121
     * @param growth channels each dense layer adds (32)
     * @param stem channels of the first convolution (64)
     */
    static ClassifierNet build(int[] blocks, int growth, int stem, int numClasses, int inChannels, float dropout) {
        int bottleneck = 4 * growth; // torchvision's bn_size 4
        SequentialBlock backbone = new SequentialBlock()
                .add(ResNet.conv(stem, 7, 2))
                .add(ResNet.batchNorm())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        int channels = stem;
        for (int b = 0; b < blocks.length; b++) {
            for (int layer = 0; layer < blocks[b]; layer++) {
                backbone.add(denseLayer(bottleneck, growth));
                channels += growth;
            }
            if (b < blocks.length - 1) {
                channels /= 2;
                backbone.add(new SequentialBlock()
                        .add(ResNet.batchNorm())
                        .add(Activation.reluBlock())
                        .add(ResNet.conv(channels, 1, 1))
                        .add(Pool.avgPool2dBlock(new Shape(2, 2), new Shape(2, 2))));
            }
        }
        backbone.add(ResNet.batchNorm()).add(Activation.reluBlock());
        SequentialBlock head = ClassifierNet.standardHead(numClasses, dropout, false);
        ClassifierNet net = new ClassifierNet(backbone, head, inChannels, channels, numClasses);
        // torchvision: kaiming_normal_ (fan_in, gain sqrt 2) for convs, BN 1/0, nn.Linear's default weight, bias 0
        backbone.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2), Parameter.Type.WEIGHT);
        head.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 1), Parameter.Type.WEIGHT);
        return net;
    }

    /** concat(x, conv3x3(relu(bn(conv1x1(relu(bn(x))))))) along the channels. */
    private static Block denseLayer(int bottleneck, int growth) {
        Block layer = new SequentialBlock()
                .add(ResNet.batchNorm()).add(Activation.reluBlock()).add(ResNet.conv(bottleneck, 1, 1))
                .add(ResNet.batchNorm()).add(Activation.reluBlock()).add(ResNet.conv(growth, 3, 1));
        return new ParallelBlock(
                branches -> new NDList(NDArrays.concat(
                        new NDList(branches.get(0).singletonOrThrow(), branches.get(1).singletonOrThrow()), 1)),
                List.of(Blocks.identityBlock(), layer));
    }
}
