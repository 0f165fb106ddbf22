package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class GradientsTest {

    /** Resident memory of this process in MB (Linux). */
    private static long residentMegabytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** Runs {@code steps} backward passes, zeroing our way or DJL's; returns the growth of resident memory in MB. */
    private static long growthOverSteps(ClassifierNet net, NDManager manager, int steps, boolean ours)
            throws IOException {
        ParameterStore store = new ParameterStore(manager, false);
        long before = 0;
        for (int i = -3; i < steps; i++) {
            if (i == 0) {
                before = residentMegabytes();
            }
            try (NDManager batch = manager.newSubManager()) {
                NDArray x = batch.randomUniform(0, 1, new Shape(2, 1, 32, 32));
                try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                    if (ours) {
                        Gradients.zero(net);
                    } else {
                        tape.zeroGradients();
                    }
                    tape.backward(net.forward(store, new NDList(x), true).get(0).sum());
                }
            }
        }
        return residentMegabytes() - before;
    }

    /**
     * Child-JVM entry: {@code ours|djl STEPS} runs the steps next to a frozen teacher and prints
     * {@code growth MB}. A fresh process, because in the test JVM memory freed by earlier tests absorbs
     * a leak without raising the resident size.
     */
    public static void main(String[] args) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            // resnet18_half has 2.8 M parameters, 11 MB of float gradients
            ClassifierNet net = Architectures.initialize(Architecture.resnet18_half.build(3, 1, 0f), manager, 32);
            // a frozen teacher: its parameters require gradients but never receive any
            ClassifierNet teacher = Architectures.initialize(Architecture.resnet18_half.build(3, 1, 0f), manager, 32);
            if (!teacher.getParameters().get(0).getValue().getArray().hasGradient()) {
                throw new IllegalStateException("the teacher's parameters should require gradients");
            }
            System.out.println("growth " + growthOverSteps(net, manager, Integer.parseInt(args[1]), args[0].equals("ours")));
        }
    }

    /** Runs {@link #main} in a fresh JVM and returns the growth it printed. */
    private static long growthInFreshJvm(String mode, int steps) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                GradientsTest.class.getName(), mode, String.valueOf(steps)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().filter(l -> l.startsWith("growth ")).mapToLong(l -> Long.parseLong(l.substring(7).strip()))
                .findFirst().orElseThrow(() -> new AssertionError("no growth line in: " + out));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void trainingStepsDoNotGrowResidentMemoryWhereDjlsZeroGradientsDoes() throws Exception {
        assertThat(growthInFreshJvm("ours", 20)).as("MB grown over 20 steps").isLessThan(60);
        // the control: DJL 0.36 leaks two zero tensors per teacher parameter per step; if this fails
        // after a DJL upgrade, the upstream leak is fixed and Gradients can go
        assertThat(growthInFreshJvm("djl", 10)).as("MB grown over 10 steps, DJL's zeroing").isGreaterThan(150);
    }

    @Test
    void zeroSetsEveryGradientToZeroSoTheNextBackwardDoesNotAccumulate() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, 32);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x = manager.randomUniform(0, 1, new Shape(2, 1, 32, 32));
            float[][] single = new float[2][];
            for (int round = 0; round < 2; round++) {
                try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                    Gradients.zero(net);
                    tape.backward(net.forward(store, new NDList(x), true).get(0).sum());
                }
                try (NDArray g = net.getParameters().get(0).getValue().getArray().getGradient()) {
                    single[round] = g.toFloatArray();
                }
            }
            // the same input twice: after zeroing, the second gradient equals the first, not twice it
            assertThat(single[1]).containsExactly(single[0]);
            assertThat(single[0]).isNotEqualTo(new float[single[0].length]);
            Gradients.zero(net);
            try (NDArray g = net.getParameters().get(0).getValue().getArray().getGradient()) {
                assertThat(g.abs().max().getFloat()).isZero();
            }
        }
    }
}
