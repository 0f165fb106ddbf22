package io.pneuknow.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;

/** Helpers around {@link ClassifierNet}: parameter counting and initialisation. */
public final class Architectures {

    private Architectures() {}

    /**
     * Number of trainable parameters (weights, biases, norm gamma/beta, layer scales), excluding BatchNorm
     * running mean/variance: the number torchvision's {@code sum(p.numel() for p in model.parameters())}
     * gives. The block must be initialised (parameter shapes are known only then).
     */
    public static long parameterCount(Block net) {
        long total = 0;
        for (Parameter p : net.getParameters().values()) {
            if (p.getType() == Parameter.Type.RUNNING_MEAN || p.getType() == Parameter.Type.RUNNING_VAR) {
                continue;
            }
            if (p.getShape() == null) {
                throw new IllegalStateException("parameter " + p.getName() + " has no shape: initialise the net first");
            }
            total += p.getShape().size();
        }
        return total;
    }

    /**
     * Initialises the net's parameters in float32 for inputs (1, net.inChannels(), size, size), allocating
     * them in {@code manager}. Initialisers draw from the engine's global generator: call
     * {@code Engine.getInstance().setRandomSeed(seed)} first for reproducible weights. Parameters already
     * initialised (e.g. by an earlier call) are left as they are; do this before creating a DJL Trainer
     * so that a TrainingConfig initializer cannot replace ours.
     */
    public static ClassifierNet initialize(ClassifierNet net, NDManager manager, int size) {
        if (size <= 0 || size % Architecture.FEATURE_STRIDE != 0) {
            throw new IllegalArgumentException("input size must be a positive multiple of "
                    + Architecture.FEATURE_STRIDE + ": " + size);
        }
        net.initialize(manager, DataType.FLOAT32, new Shape(1, net.inChannels(), size, size));
        return net;
    }

    /** What {@link #summarize} reports for one architecture. */
    public record Summary(Architecture architecture, int inputSize, int inChannels, int numClasses,
                          long parameters, Shape featureMap, long multiplyAdds) {}

    /**
     * Parameters, feature-map shape (batch 1) and multiply-adds per image of an architecture for inputs
     * (1, inChannels, inputSize, inputSize). Builds and initialises the net (shapes only, no forward pass).
     */
    public static Summary summarize(Architecture arch, int numClasses, int inChannels, int inputSize) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = initialize(arch.build(numClasses, inChannels, 0f), manager, inputSize);
            Shape features = net.getOutputShapes(new Shape[] {new Shape(1, inChannels, inputSize, inputSize)})[1];
            return new Summary(arch, inputSize, inChannels, numClasses, parameterCount(net), features,
                    multiplyAdds(net));
        }
    }

    /**
     * Multiply-adds of the convolutions and linear layers for one image at the input shape the block was
     * initialised with (batch 1, as {@link #initialize} does), counted from shapes: a convolution costs
     * (output elements) x (input channels per group x kernel height x kernel width), a linear layer
     * (output elements) x (input features). Normalisation, activations, pooling and additions are not
     * counted (the usual convention of "MACs" tables, e.g. torchvision's).
     */
    public static long multiplyAdds(Block block) {
        long total = 0;
        if (block instanceof Convolution || block instanceof Linear) {
            Shape[] in = block.getInputShapes();
            if (in == null || in.length == 0) {
                throw new IllegalStateException(block + " has no input shape: initialise the net first");
            }
            if (in[0].get(0) != 1) {
                throw new IllegalStateException("multiply-adds are per image: initialise with batch 1, not " + in[0]);
            }
            long out = block.getOutputShapes(in)[0].size();
            Shape weight = block.getParameters().get("weight").getShape();
            total += out * (weight.size() / weight.get(0)); // weight (out, in per group, kh, kw) or (units, in)
        }
        for (Block child : block.getChildren().values()) {
            total += multiplyAdds(child);
        }
        return total;
    }
}
