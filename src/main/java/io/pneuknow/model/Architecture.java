package io.pneuknow.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The networks PneuKnow can train. The constant's name is its command-line value. Every member has
 * feature-map stride {@value #FEATURE_STRIDE}, accepts any number of input channels (1 or 3 in practice)
 * and any input size divisible by 32.
 */
public enum Architecture {
    /** Our tiny CNN (5 x conv3x3/2-BN-ReLU, widths 16..128, ~0.13 M params) for tests and demos. */
    tiny_cnn(false, (classes, channels, dropout, dropPath) -> TinyCnn.build(classes, channels, dropout)),
    /** torchvision resnet18 (He et al. 2016): BasicBlocks [2, 2, 2, 2], widths 64..512. */
    resnet18(false, (classes, channels, dropout, dropPath) ->
            ResNet.build(false, new int[] {2, 2, 2, 2}, new int[] {64, 128, 256, 512}, classes, channels, dropout)),
    /** resnet18 with halved widths (32, 64, 128, 256), sized for CPU training; ours. */
    resnet18_half(false, (classes, channels, dropout, dropPath) ->
            ResNet.build(false, new int[] {2, 2, 2, 2}, new int[] {32, 64, 128, 256}, classes, channels, dropout)),
    /** torchvision resnet50 (v1.5, stride on the 3x3 conv): Bottlenecks [3, 4, 6, 3]. */
    resnet50(false, (classes, channels, dropout, dropPath) ->
            ResNet.build(true, new int[] {3, 4, 6, 3}, new int[] {64, 128, 256, 512}, classes, channels, dropout)),
    /** Our CPU-sized ConvNeXt (not a timm/torchvision model): depths [2, 2, 6, 2], dims 48..384. */
    convnext_micro(true, (classes, channels, dropout, dropPath) -> ConvNeXt.build(
            new int[] {2, 2, 6, 2}, new int[] {48, 96, 192, 384}, classes, channels, dropout, dropPath)),
    /** torchvision convnext_tiny (Liu et al. 2022): depths [3, 3, 9, 3], dims 96..768. */
    convnext_tiny(true, (classes, channels, dropout, dropPath) -> ConvNeXt.build(
            new int[] {3, 3, 9, 3}, new int[] {96, 192, 384, 768}, classes, channels, dropout, dropPath)),
    /** torchvision convnext_small (Liu et al. 2022): depths [3, 3, 27, 3], dims 96..768. */
    convnext_small(true, (classes, channels, dropout, dropPath) -> ConvNeXt.build(
            new int[] {3, 3, 27, 3}, new int[] {96, 192, 384, 768}, classes, channels, dropout, dropPath)),
    /** torchvision densenet121 (Huang et al. 2017): dense blocks [6, 12, 24, 16], growth 32, stem 64. */
    densenet121(false, (classes, channels, dropout, dropPath) ->
            DenseNet.build(new int[] {6, 12, 24, 16}, 32, 64, classes, channels, dropout)),
    /** torchvision efficientnet_b0 (Tan and Le 2019): MBConv stages with squeeze-excitation, SiLU, 1280 features. */
    efficientnet_b0(true, (classes, channels, dropout, dropPath) ->
            EfficientNet.build(1.0, classes, channels, dropout, dropPath)),
    /** torchvision efficientnet_b1: efficientnet_b0 with 1.1 x the blocks per stage (rounded up). */
    efficientnet_b1(true, (classes, channels, dropout, dropPath) ->
            EfficientNet.build(1.1, classes, channels, dropout, dropPath));

    /** Input size / feature-map size, for every member. */
    public static final int FEATURE_STRIDE = 32;

    /** Builds a network; see {@link Architecture#build(int, int, float, float)}. */
    @FunctionalInterface
    interface Factory {
        ClassifierNet build(int numClasses, int inChannels, float dropout, float maxDropPath);
    }

    private final boolean supportsDropPath;
    private final Factory factory;

    Architecture(boolean supportsDropPath, Factory factory) {
        this.supportsDropPath = supportsDropPath;
        this.factory = factory;
    }

    /** The command-line value (same as {@link #name()}). */
    public String cliName() {
        return name();
    }

    public int featureStride() {
        return FEATURE_STRIDE;
    }

    /** Whether {@code maxDropPath} (stochastic depth) has an effect: ConvNeXt and EfficientNet members. */
    public boolean supportsDropPath() {
        return supportsDropPath;
    }

    /** Builds an uninitialised network without stochastic depth. */
    public ClassifierNet build(int numClasses, int inChannels, float dropout) {
        return build(numClasses, inChannels, dropout, 0f);
    }

    /**
     * Builds an uninitialised network (see {@link Architectures#initialize}).
     *
     * @param dropout dropout rate before the final linear layer, in [0, 1)
     * @param maxDropPath stochastic depth rate of the last ConvNeXt block, increasing linearly from 0
     *     over the blocks (EfficientNet: torchvision's rule, block i of n gets maxDropPath * i / n); must be
     *     0 for architectures that do not {@link #supportsDropPath()}
     */
    public ClassifierNet build(int numClasses, int inChannels, float dropout, float maxDropPath) {
        if (maxDropPath != 0 && !supportsDropPath) {
            throw new IllegalArgumentException(name() + " has no stochastic depth; maxDropPath must be 0");
        }
        return factory.build(numClasses, inChannels, dropout, maxDropPath).withArchitecture(this);
    }

    /** Looks up a member by its command-line value. */
    public static Architecture fromCliName(String name) {
        for (Architecture a : values()) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + name + "'; known: "
                + Arrays.stream(values()).map(Architecture::name).collect(Collectors.joining(", "))
                + " (and, for train, " + TorchScriptBackbone.ARCHITECTURE + " with --pretrained FILE.pt)");
    }
}
