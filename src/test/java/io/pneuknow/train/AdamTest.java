package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.ConstantInitializer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adam's update by hand, a skipped (frozen) parameter, and the state's round trip. */
class AdamTest {

    private static Parameter parameter(NDManager manager, String name, float value) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(1)).optInitializer(new ConstantInitializer(value)).build();
        p.initialize(manager, DataType.FLOAT32);
        p.getArray().setRequiresGradient(true);
        return p;
    }

    /** Gives the parameters the gradients {@code gs} by a backward pass of {@code sum(g_i * w_i)}. */
    private static void gradients(List<Parameter> parameters, float... gs) {
        for (Parameter p : parameters) {
            if (p.getArray().hasGradient()) {
                try (NDArray grad = p.getArray().getGradient()) {
                    grad.subi(grad);
                }
            }
        }
        try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (int i = 0; i < gs.length; i++) {
                NDArray term = parameters.get(i).getArray().mul(gs[i]);
                loss = loss == null ? term : loss.add(term);
            }
            tape.backward(loss.sum());
        }
    }

    @Test
    void aSkippedParameterStaysAndItsFirstUpdateIsBiasCorrectedFromItsOwnStepCount() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter head = parameter(manager, "head", 1f);
            Parameter backbone = parameter(manager, "backbone", 1f);
            List<Parameter> both = List.of(head, backbone);
            try (Adam adam = new Adam(both, manager)) {
                float lr = 0.1f;
                float[] frozen = {1f, 0f};
                for (int i = 0; i < 3; i++) {
                    gradients(both, 2f, 2f);
                    adam.step(lr, frozen);
                }
                // constant gradient: every bias-corrected Adam step is lr * g / (|g| + eps) = lr
                assertThat(head.getArray().getFloat()).isCloseTo(1f - 3 * lr, within(1e-5f));
                assertThat(backbone.getArray().getFloat()).isEqualTo(1f);
                // thawed at half the rate: the backbone's first step is lr/2 = 0.05 (one count shared by
                // all parameters, 4 by now, would give 0.05 * (0.2 / (1 - 0.9^4)) / sqrt(0.004 / (1 - 0.999^4))
                // = 0.0291)
                gradients(both, 2f, 2f);
                adam.step(lr, new float[] {1f, 0.5f});
                assertThat(backbone.getArray().getFloat()).isCloseTo(1f - lr / 2, within(1e-5f));
                assertThat(adam.steps()).isEqualTo(4);

                // the state round trip keeps each parameter's count: a fresh optimizer loaded from it
                // continues identically
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                adam.save(new DataOutputStream(bytes));
                Parameter head2 = parameter(manager, "head", head.getArray().getFloat());
                Parameter backbone2 = parameter(manager, "backbone", backbone.getArray().getFloat());
                try (Adam restored = new Adam(List.of(head2, backbone2), manager)) {
                    restored.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
                    gradients(both, 0.5f, -1f);
                    gradients(List.of(head2, backbone2), 0.5f, -1f);
                    adam.step(lr, null);
                    restored.step(lr, null);
                    assertThat(backbone2.getArray().getFloat()).isEqualTo(backbone.getArray().getFloat());
                    assertThat(head2.getArray().getFloat()).isEqualTo(head.getArray().getFloat());
                }
            }
        }
    }
}
