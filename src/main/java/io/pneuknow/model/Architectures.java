package io.pneuknow.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

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
}
