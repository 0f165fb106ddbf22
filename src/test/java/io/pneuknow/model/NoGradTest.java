package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class NoGradTest {

    /** Runs {@code work} on a new thread, where PyTorch's grad mode starts as its default (on). */
    private static <T> T onNewThread(Callable<T> work) throws Exception {
        Engine.getInstance(); // started here, so that the new thread is not the engine's own
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(work).get();
        } finally {
            thread.shutdown();
        }
    }

    /**
     * A distillation step on a new thread: the teacher's feature map (with or without NoGrad), then
     * the student's backward pass of the feature MSE. Returns the sum of |gradient| over the
     * teacher's parameters.
     */
    private static double teacherGradientAfterStudentStep(boolean noGrad) throws Exception {
        return onNewThread(() -> {
            assertThat(JniUtils.isGradMode()).as("a new thread starts with grad mode on").isTrue();
            try (NDManager manager = NDManager.newBaseManager()) {
                ClassifierNet teacher = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, 32);
                ClassifierNet student = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, 32);
                ParameterStore store = new ParameterStore(manager, false);
                NDArray x = manager.randomUniform(0, 1, new Shape(2, 1, 32, 32));
                NDArray target;
                if (noGrad) {
                    try (NoGrad ignored = NoGrad.start()) {
                        target = teacher.features(store, x, false);
                    }
                } else {
                    target = teacher.features(store, x, false);
                }
                try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                    tape.backward(student.features(store, x, true).sub(target).square().mean());
                }
                double sum = 0;
                for (Pair<String, Parameter> p : teacher.getParameters()) {
                    if (!p.getValue().requiresGradient()) {
                        continue; // BatchNorm's running statistics
                    }
                    try (NDArray gradient = p.getValue().getArray().getGradient()) {
                        sum += gradient.abs().sum().getFloat();
                    }
                }
                return sum;
            }
        });
    }

    @Test
    void theStudentsBackwardPassDoesNotReachATeacherRunUnderNoGrad() throws Exception {
        assertThat(teacherGradientAfterStudentStep(true)).isZero();
        // control: on a thread other than the engine's, a plain inference-mode forward pass is recorded
        assertThat(teacherGradientAfterStudentStep(false)).isPositive();
    }

    @Test
    void restoresTheThreadsModeAndNestsInsideATape() throws Exception {
        boolean[] seen = onNewThread(() -> {
            boolean[] modes = new boolean[4];
            try (NoGrad ignored = NoGrad.start()) {
                modes[0] = JniUtils.isGradMode();
            }
            modes[1] = JniUtils.isGradMode();
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                try (NoGrad ignored = NoGrad.start()) {
                    modes[2] = JniUtils.isGradMode();
                }
                modes[3] = JniUtils.isGradMode();
            }
            return modes;
        });
        assertThat(seen).containsExactly(false, true, false, true);
    }
}
