package io.pneuknow.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.initializer.XavierInitializer;

/**
 * Our tiny CNN for tests and demos: five stages of conv3x3/2 (no bias) - BN - ReLU with widths 16, 32,
 * 64, 64, 128 (about 0.13 M parameters); the last feature map is 128 x H/32 x W/32.
 */
final class TinyCnn {

    static final int[] WIDTHS = {16, 32, 64, 64, 128};

    private TinyCnn() {}

    static ClassifierNet build(int numClasses, int inChannels, float dropout) {
        SequentialBlock backbone = new SequentialBlock();
        for (int width : WIDTHS) {
            backbone.add(ResNet.conv(width, 3, 2)).add(ResNet.batchNorm()).add(Activation.reluBlock());
        }
        SequentialBlock head = ClassifierNet.standardHead(numClasses, dropout, false);
        ClassifierNet net = new ClassifierNet(backbone, head, inChannels, WIDTHS[WIDTHS.length - 1], numClasses);
        backbone.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
        head.setInitializer(new XavierInitializer(
                XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 1), Parameter.Type.WEIGHT);
        return net;
    }
}
