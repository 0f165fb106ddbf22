package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.NDList;

/**
 * A process that applies {@link TorchLogLevel} and runs three small batch-1 convolutions, the case in
 * which libtorch 2.7.1 asks NNPACK first (and, where NNPACK cannot start, logs a warning each time).
 * Prints the log level it ran at.
 */
public final class NnpackProbe {
    private NnpackProbe() {
    }

    public static void main(String[] args) {
        TorchLogLevel.apply();
        try (NDManager manager = NDManager.newBaseManager()) {
            Conv2d conv = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).optPadding(new Shape(1, 1)).build();
            conv.setInitializer(Initializer.ONES, ai.djl.nn.Parameter.Type.WEIGHT);
            conv.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 32, 32));
            NDArray x = manager.ones(new Shape(1, 1, 32, 32));
            float sum = 0;
            for (int i = 0; i < 3; i++) {
                sum += conv.forward(new ParameterStore(manager, false), new NDList(x), false).head().sum().getFloat();
            }
            System.out.println("level " + TorchLogLevel.current().orElse(-99) + " sum " + sum);
        }
    }
}
