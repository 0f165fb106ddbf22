package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Numerical parity with torchvision (issue 5): src/test/python/torchvision_reference.py builds each
 * torchvision model with random weights and writes its state_dict, a random input and the reference
 * outputs as safetensors; we load the weights by their torchvision names into our net and compare:
 * eval-mode (float32) logits and last feature map within max|ours - ref| / max|ref| <= 1e-4; one
 * training-mode step (dropout and stochastic depth 0): the cross-entropy loss within 1e-4 relative, the
 * gradients of the first and last layer's weights within 1e-3 relative, and (with BatchNorm) the first
 * BatchNorm's running statistics after that step within 1e-4 (momentum 0.1, unbiased variance).
 *
 * <p>The training step is compared in float64 (both nets converted): in float32, ResNet-50's first-layer
 * gradient is ill-conditioned (torch's own float32 pass differs from its float64 pass by about 1e-2), so
 * 1e-3 cannot be asked there. The float32 step is checked too, against torch's float32 pass, within the
 * larger of 1e-3 and ten times torch's own float32-vs-float64 difference.
 *
 * <p>Needs /usr/bin/python3 with Debian's python3-torch and python3-torchvision; skipped when they are
 * absent unless {@code -Dpneuknow.requireHeavy=true}, then it fails. Writes the parity table (markdown) to
 * target/parity/parity-table.md and standard output:
 * {@code mvn -B -q test -Dtest=TorchvisionParityTest -Dpneuknow.requireHeavy=true && cat target/parity/parity-table.md}.
 */
@Tag("heavy")
class TorchvisionParityTest {

    static final String PYTHON = "/usr/bin/python3";
    static final Path SCRIPT = Path.of("src/test/python/torchvision_reference.py");
    static final String[] ARCHS = {"resnet18", "resnet50", "convnext_tiny", "convnext_small", "densenet121",
        "efficientnet_b0", "efficientnet_b1"};
    static final double EVAL_TOLERANCE = 1e-4;
    static final double LOSS_TOLERANCE = 1e-4;
    static final double GRAD_TOLERANCE = 1e-3;
    static final double BN_TOLERANCE = 1e-4;

    @TempDir
    static Path dir;

    static String versions;
    static double pythonSeconds;
    static final Map<String, String> ROWS = new LinkedHashMap<>();

    @BeforeAll
    static void writeReferences() throws Exception {
        Path out = dir.resolve("python.log");
        int probe = PythonProcess.run(List.of(PYTHON, SCRIPT.toString(), "--versions"), out, 120);
        if (probe != 0) {
            String why = PYTHON + " cannot import torch/torchvision (apt-get install python3-torch"
                    + " python3-torchvision): " + PythonProcess.tail(out);
            if (Boolean.getBoolean("pneuknow.requireHeavy")) {
                fail("pneuknow.requireHeavy=true but " + why);
            }
            Assumptions.abort(why);
        }
        versions = Files.readString(out).trim();
        List<String> command = new ArrayList<>(List.of(PYTHON, SCRIPT.toString(), "--size", "64", "--batch", "2",
                "--classes", "5", "--seed", "0", dir.toString()));
        command.addAll(List.of(architectures()));
        long start = System.nanoTime();
        int rc = PythonProcess.run(command, out, 1200);
        pythonSeconds = (System.nanoTime() - start) / 1e9;
        assertThat(rc).as("reference script failed: %s", PythonProcess.tail(out)).isZero();
    }


    /** All of {@link #ARCHS}, or those named (comma-separated) by -Dpneuknow.parityArchs. */
    static String[] architectures() {
        String only = System.getProperty("pneuknow.parityArchs", "");
        return only.isBlank() ? ARCHS : only.split(",");
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void matchesTorchvision(String name) {
        Path file = dir.resolve(name + ".safetensors");
        long start = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager(); Safetensors st = Safetensors.open(file)) {
            Map<String, String> meta = st.metadata();
            int classes = Integer.parseInt(meta.get("classes"));
            Shape inputShape = new Shape(st.entry("ref.input").shape());
            ClassifierNet net = Architecture.fromCliName(name).build(classes, (int) inputShape.get(1), 0f, 0f);
            Architectures.initialize(net, manager, (int) inputShape.get(2));
            PretrainedWeights.Info info = PretrainedWeights.load(net, file, true, k -> k.startsWith("ref."));
            assertThat(info.format()).startsWith("safetensors/torchvision");
            long parameters = Architectures.parameterCount(net);
            assertThat(parameters).isEqualTo(Long.parseLong(meta.get("parameters")));
            long macs = Architectures.multiplyAdds(net); // initialised with batch 1 at the reference's size
            assertThat(macs).as("multiply-adds, torchvision's counted by forward hooks").isEqualTo(Long.parseLong(meta.get("macs")));

            // eval mode, float32
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = manager.create(st.floats("ref.input"), inputShape);
            NDList eval = net.forward(ps, new NDList(x), false);
            double logits = relative(eval.get(0), reference(manager, st, "ref.eval.logits"));
            double features = relative(eval.get(1), reference(manager, st, "ref.eval.features"));

            // training mode, float64: the same weights in a net initialised in float64
            ClassifierNet net64 = Architecture.fromCliName(name).build(classes, (int) inputShape.get(1), 0f, 0f);
            net64.initialize(manager, DataType.FLOAT64, inputShape);
            PretrainedWeights.load(net64, file, true, k -> k.startsWith("ref."));
            Step step64 = trainStep(manager, net64, meta, st, x.toType(DataType.FLOAT64, true), classes);
            double loss = Math.abs(step64.loss - st.doubles("ref.train.loss")[0]) / Math.abs(st.doubles("ref.train.loss")[0]);
            double gradFirst = relative(step64.gradFirst, reference(manager, st, "ref.train.grad.first"));
            double gradLast = relative(step64.gradLast, reference(manager, st, "ref.train.grad.last"));
            double bn = Double.NaN;
            if (meta.containsKey("bn")) {
                KeyMapping names = KeyMapping.of(net64, KeyMapping.TORCHVISION);
                Map<String, Parameter> params = PretrainedWeights.parameters(net64);
                NDArray mean = params.get(names.keys().get(meta.get("bn") + ".running_mean")).getArray();
                NDArray var = params.get(names.keys().get(meta.get("bn") + ".running_var")).getArray();
                bn = Math.max(relative(mean, reference(manager, st, "ref.train.bn.running_mean")),
                        relative(var, reference(manager, st, "ref.train.bn.running_var")));
            }

            // training mode, float32: compared with torch's float32 pass, whose own distance from float64 (its
            // rounding noise) bounds what can be asked
            Step step32 = trainStep(manager, net, meta, st, x, classes);
            double gradFirst32 = relative(step32.gradFirst, reference(manager, st, "ref.train32.grad.first"));
            double noiseFirst = Double.parseDouble(meta.get("torch_f32_vs_f64_grad_first"));
            double loss32 = Math.abs(step32.loss - st.doubles("ref.train32.loss")[0]) / Math.abs(st.doubles("ref.train32.loss")[0]);
            double gradLast32 = relative(step32.gradLast, reference(manager, st, "ref.train32.grad.last"));
            double noiseLast = Double.parseDouble(meta.get("torch_f32_vs_f64_grad_last"));

            double seconds = (System.nanoTime() - start) / 1e9;
            ROWS.put(name, String.format(Locale.ROOT,
                    "| %s | %,d | %,d | %.1e | %.1e | %s | %.1e | %.1e | %.1e | %s | %.1e / %.1e | %.1e / %.1e | %.0f |",
                    name, parameters, macs, logits, features, meta.get("torch_f32_vs_f64_eval_logits"), loss, gradFirst, gradLast,
                    Double.isNaN(bn) ? "-" : String.format(Locale.ROOT, "%.1e", bn),
                    gradFirst32, noiseFirst, gradLast32, noiseLast, seconds));

            assertThat(logits).as("%s eval logits, relative max difference", name).isLessThanOrEqualTo(EVAL_TOLERANCE);
            assertThat(features).as("%s eval feature map", name).isLessThanOrEqualTo(EVAL_TOLERANCE);
            assertThat(loss).as("%s training-mode loss (float64)", name).isLessThanOrEqualTo(LOSS_TOLERANCE);
            assertThat(gradFirst).as("%s gradient of %s (float64)", name, meta.get("first"))
                    .isLessThanOrEqualTo(GRAD_TOLERANCE);
            assertThat(gradLast).as("%s gradient of %s (float64)", name, meta.get("last"))
                    .isLessThanOrEqualTo(GRAD_TOLERANCE);
            if (!Double.isNaN(bn)) {
                assertThat(bn).as("%s BatchNorm running statistics after one step", name)
                        .isLessThanOrEqualTo(BN_TOLERANCE);
            }
            assertThat(loss32).as("%s training-mode loss (float32)", name).isLessThanOrEqualTo(LOSS_TOLERANCE);
            assertThat(gradFirst32).as("%s gradient of %s (float32), torch's own float32 noise %s", name,
                    meta.get("first"), noiseFirst).isLessThanOrEqualTo(Math.max(GRAD_TOLERANCE, 10 * noiseFirst));
            assertThat(gradLast32).as("%s gradient of %s (float32), torch's own float32 noise %s", name,
                    meta.get("last"), noiseLast).isLessThanOrEqualTo(Math.max(GRAD_TOLERANCE, 10 * noiseLast));
        }
    }

    private record Step(double loss, NDArray gradFirst, NDArray gradLast) {}

    /** One training-mode forward and backward pass: mean cross-entropy and the first/last weights' gradients. */
    private static Step trainStep(NDManager manager, ClassifierNet net, Map<String, String> meta, Safetensors st,
                                  NDArray x, int classes) {
        KeyMapping names = KeyMapping.of(net, KeyMapping.TORCHVISION);
        Map<String, Parameter> params = PretrainedWeights.parameters(net);
        for (Parameter p : params.values()) {
            if (p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR) {
                p.getArray().setRequiresGradient(true);
            }
        }
        Parameter first = params.get(names.keys().get(meta.get("first")));
        Parameter last = params.get(names.keys().get(meta.get("last")));
        ParameterStore ps = new ParameterStore(manager, false);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray logits = net.forward(ps, new NDList(x), true).get(0);
            NDArray labels = manager.create(st.longs("ref.train.labels"));
            NDArray loss = logits.logSoftmax(1).mul(labels.oneHot(classes, logits.getDataType())).sum().neg()
                    .div(labels.size());
            collector.backward(loss);
            return new Step(loss.toType(DataType.FLOAT64, false).getDouble(),
                    first.getArray().getGradient().duplicate(), last.getArray().getGradient().duplicate());
        }
    }

    private static NDArray reference(NDManager manager, Safetensors st, String key) {
        Shape shape = new Shape(st.entry(key).shape());
        return st.entry(key).dtype().equals("F64")
                ? manager.create(st.doubles(key), shape) : manager.create(st.floats(key), shape);
    }

    /** max|ours - reference| / max|reference| in float64; shapes must agree. */
    static double relative(NDArray ours, NDArray reference) {
        assertThat(ours.getShape()).isEqualTo(reference.getShape());
        NDArray a = ours.toType(DataType.FLOAT64, false);
        NDArray b = reference.toType(DataType.FLOAT64, false);
        double scale = b.abs().max().getDouble();
        assertThat(scale).isPositive();
        return a.sub(b).abs().max().getDouble() / scale;
    }

    @AfterAll
    static void writeTable() throws IOException {
        if (ROWS.isEmpty()) {
            return;
        }
        StringBuilder table = new StringBuilder()
                .append("Parity with torchvision ").append(versions == null ? "" : "(torch, torchvision: " + versions + ")")
                .append(": random weights, input 2 x 3 x 64 x 64, 5 classes; max|ours - ref| / max|ref|")
                .append(" (loss: relative difference). Reference script: ")
                .append(String.format(Locale.ROOT, "%.0f s for all models.%n%n", pythonSeconds))
                .append("Training mode (one step, dropout and stochastic depth 0) in float64 on both sides; the float32")
                .append(" columns give ours vs torch's float32 pass / torch's own float32 vs float64 difference.")
                .append(" Parameters and multiply-adds (convolutions and linear layers, per 64 x 64 image) equal")
                .append(" torchvision's (counted by forward hooks).\n\n")
                .append("| architecture | parameters | multiply-adds | logits (eval) | feature map (eval) |")
                .append(" torch float32 vs float64 logits (eval) | loss (train) |")
                .append(" grad first layer | grad last layer | BN running stats | float32 grad first | float32 grad last")
                .append(" | Java s |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        ROWS.values().forEach(r -> table.append(r).append('\n'));
        Path out = Path.of("target/parity/parity-table.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table.toString(), StandardCharsets.UTF_8);
        System.out.println(table);
    }
}
