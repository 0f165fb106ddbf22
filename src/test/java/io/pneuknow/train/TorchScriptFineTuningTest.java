package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.Gradients;
import io.pneuknow.model.TorchScriptBackbone;
import io.pneuknow.model.TorchScriptFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TorchScript backbone is fine-tuned by our training step: its parameters get gradients and our
 * Adam changes them, also after the net's weights were reloaded the way a resumed run reloads them
 * (the optimizer was built before). Skipped without python3-torch unless -Dpneuknow.requireHeavy=true.
 */
@Tag("heavy")
class TorchScriptFineTuningTest {
    @TempDir
    static Path dir;
    static Path files;

    @BeforeAll
    static void writeFixtures() throws Exception {
        files = TorchScriptFixtures.files();
    }

    /** One step as StageTrainer takes it: zero gradients, training-mode forward on the tape, backward, Adam. */
    private static double step(ClassifierNet net, Adam adam, NDManager manager, NDArray x, NDArray labels) {
        ParameterStore ps = new ParameterStore(manager, false);
        double loss;
        try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
            Gradients.zero(net);
            NDArray logits = net.forward(ps, new NDList(x), true).get(0);
            NDArray value = Losses.classification(logits, labels, null, 0);
            tape.backward(value);
            loss = value.getFloat();
        }
        adam.step(1e-3f); // off the tape, as StageTrainer does
        return loss;
    }

    private static List<Parameter> trainable(ClassifierNet net) {
        List<Parameter> list = new ArrayList<>();
        net.getParameters().forEach(p -> {
            if (p.getValue().requiresGradient()) {
                list.add(p.getValue());
            }
        });
        return list;
    }

    private static List<float[]> values(ClassifierNet net) {
        List<float[]> list = new ArrayList<>();
        net.backbone().getParameters().forEach(p -> list.add(p.getValue().getArray().toFloatArray()));
        return list;
    }

    private static int changed(List<float[]> before, List<float[]> after) {
        int n = 0;
        for (int i = 0; i < before.size(); i++) {
            if (!java.util.Arrays.equals(before.get(i), after.get(i))) {
                n++;
            }
        }
        return n;
    }

    @Test
    void oneAdamStepUpdatesEveryBackboneParameter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            ClassifierNet net = TorchScriptBackbone.load(files.resolve("resnet18-scripted.pt"), 3, 3, 0f, 64, manager)
                    .net();
            List<Parameter> trainable = trainable(net);
            int backboneParameters = net.backbone().getParameters().size();
            assertThat(backboneParameters).isEqualTo(60);
            assertThat(trainable).hasSize(backboneParameters + 2); // and the head's linear weight and bias
            NDArray x = manager.randomNormal(new Shape(4, 3, 64, 64));
            NDArray labels = manager.create(new int[] {0, 1, 2, 1});
            List<float[]> before = values(net);
            try (Adam adam = new Adam(trainable, manager)) {
                step(net, adam, manager, x, labels);
                for (var p : net.backbone().getParameters()) {
                    NDArray gradient = p.getValue().getArray().getGradient();
                    assertThat(gradient.abs().sum().getFloat()).as("gradient of %s", p.getKey()).isPositive();
                }
                assertThat(changed(before, values(net))).isEqualTo(backboneParameters);
            }
        }
    }

    @Test
    void adamBuiltBeforeAReloadUpdatesTheReloadedModule() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(8);
            ClassifierNet net = TorchScriptBackbone.load(files.resolve("tiny-scripted.pt"), 2, 1, 0f, 64, manager).net();
            NDArray x = manager.randomNormal(new Shape(4, 1, 64, 64));
            NDArray labels = manager.create(new int[] {0, 1, 1, 0});
            Path saved = dir.resolve("checkpoint.params");
            try (var out = java.nio.file.Files.newOutputStream(saved)) {
                StageCheckpoint.saveParameters(net, out);
            }
            try (Adam adam = new Adam(trainable(net), manager)) {
                step(net, adam, manager, x, labels);
                // as StageCheckpoint.load on resume: the optimizer exists, the weights are loaded into the net
                StageCheckpoint.loadParameters(net, saved, manager);
                List<float[]> reloaded = values(net);
                step(net, adam, manager, x, labels);
                assertThat(changed(reloaded, values(net))).isEqualTo(net.backbone().getParameters().size());
            }
        }
    }
}
