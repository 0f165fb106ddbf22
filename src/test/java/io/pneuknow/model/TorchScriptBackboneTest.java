package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.pneuknow.BadInputException;
import io.pneuknow.transform.Preprocessor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TorchScript files as backbones (issue 5): src/test/python/torchscript_backbone.py writes a scripted
 * and a train-mode traced torchvision resnet18 backbone (random weights, BatchNorm statistics
 * randomised) with a random input and torch's features; we load them under our head and compare the
 * features within max|ours - ref| / max|ref| <= 1e-4, save and load the bundle, and check the errors for
 * files that are not TorchScript backbones. Skipped without python3-torch unless
 * {@code -Dpneuknow.requireHeavy=true}.
 */
@Tag("heavy")
class TorchScriptBackboneTest {
    static final double TOLERANCE = 1e-4;
    static final int SIZE = 64;

    @TempDir
    static Path dir;
    static Path files;

    NDManager manager;

    @BeforeAll
    static void writeFixtures() throws Exception {
        files = TorchScriptFixtures.files();
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray reference(String key) {
        try (Safetensors st = Safetensors.open(files.resolve("reference.safetensors"))) {
            return manager.create(st.floats(key), new Shape(st.entry(key).shape()));
        }
    }

    private TorchScriptBackbone.Loaded load(String file, int classes) {
        Engine.getInstance().setRandomSeed(3);
        return TorchScriptBackbone.load(files.resolve(file), classes, 3, 0.2f, SIZE, manager);
    }

    @Test
    void scriptedBackboneGivesTorchsFeaturesInEvalAndInTrainMode() {
        TorchScriptBackbone.Loaded loaded = load("resnet18-scripted.pt", 4);
        ClassifierNet net = loaded.net();
        assertThat(net.featureChannels()).isEqualTo(512);
        // torchvision resnet18 without fc: 11,689,512 - 513,000
        assertThat(Architectures.parameterCount(net.backbone())).isEqualTo(11_176_512L);
        assertThat(loaded.pretrained().format()).isEqualTo("torchscript");
        assertThat(loaded.pretrained().file()).isEqualTo("resnet18-scripted.pt");
        assertThat(loaded.pretrained().sha256()).isEqualTo(Safetensors.sha256(files.resolve("resnet18-scripted.pt")));
        assertThat(loaded.pretrained().detail()).contains("follows train/eval mode").contains("512 x 2 x 2 at 64 px");

        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = reference("input");
        NDList eval = net.forward(ps, new NDList(x), false);
        double evalDifference = TorchvisionParityTest.relative(eval.get(1), reference("scripted.eval"));
        assertThat(eval.get(0).getShape()).isEqualTo(new Shape(2, 4));
        // training mode: BatchNorm on batch statistics, as torch's train()
        double trainDifference = TorchvisionParityTest.relative(net.features(ps, x, true), reference("scripted.train"));
        System.out.printf(Locale.ROOT, "scripted resnet18 backbone vs torch %s: eval features %.2e, train-mode"
                + " features %.2e (max|ours - ref| / max|ref|)%n", torchVersion(), evalDifference, trainDifference);
        assertThat(evalDifference).isLessThanOrEqualTo(TOLERANCE);
        assertThat(trainDifference).isLessThanOrEqualTo(TOLERANCE);
    }

    @Test
    void moduleTracedInTrainModeKeepsBatchStatisticsAtInference() {
        TorchScriptBackbone.Loaded traced = load("resnet18-traced-train.pt", 4);
        assertThat(traced.pretrained().detail()).contains("depend on the batch");
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = reference("input");
        NDArray features = traced.net().features(ps, x, false);
        double difference = TorchvisionParityTest.relative(features, reference("traced.eval"));
        // not the eval-mode features of the same weights: tracing fixed BatchNorm in training mode
        double fromEval = TorchvisionParityTest.relative(features, reference("scripted.eval"));
        // an image's features change with the other images in its batch, also in inference mode
        NDArray alone = traced.net().features(ps, x.get("0:1"), false);
        NDArray withOthers = traced.net().features(ps, x.concat(x.neg(), 0), false).get("0:1");
        double batchEffect = TorchvisionParityTest.relative(alone, withOthers);
        System.out.printf(Locale.ROOT, "traced-in-train resnet18 backbone: inference features vs torch's %.2e; vs"
                + " eval-mode features %.2e; one image alone vs in a batch %.2e%n", difference, fromEval, batchEffect);
        assertThat(difference).isLessThanOrEqualTo(TOLERANCE);
        assertThat(fromEval).isGreaterThan(1e-2);
        assertThat(batchEffect).isGreaterThan(1e-2);
        // a scripted module's inference features do not depend on the batch
        ClassifierNet scripted = load("resnet18-scripted.pt", 4).net();
        assertThat(TorchvisionParityTest.relative(scripted.features(ps, x.get("0:1"), false),
                scripted.features(ps, x.concat(x.neg(), 0), false).get("0:1"))).isLessThan(1e-5);
    }

    @Test
    void bundleIsSelfContainedAndGivesTheSameLogits() throws Exception {
        Path source = dir.resolve("copy-of-tiny.pt");
        Files.copy(files.resolve("tiny-scripted.pt"), source);
        Engine.getInstance().setRandomSeed(5);
        TorchScriptBackbone.Loaded loaded = TorchScriptBackbone.load(source, 3, 1, 0f, SIZE, manager);
        ClassifierNet net = loaded.net();
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = manager.randomNormal(new Shape(3, 1, SIZE, SIZE));
        // change the weights (a training-mode pass also moves the BatchNorm statistics): the bundle keeps these
        for (var p : net.backbone().getParameters()) {
            p.getValue().getArray().addi(0.01f);
        }
        net.forward(ps, new NDList(x), true);
        NDArray logits = net.forward(ps, new NDList(x), false).get(0);
        NDArray features = net.features(ps, x, false);
        Path bundle = dir.resolve("bundle");
        ModelCard card = new ModelCard(ModelCard.FORMAT, null, null, null, List.of("a", "b", "c"),
                TorchScriptBackbone.ARCHITECTURE, 1, 0f, Preprocessor.defaults(SIZE, 1), "baseline", null, null, 5,
                "test", Map.of(), null, ModelCard.INTENDED_USE, "test", "now", "test", loaded.pretrained());
        ModelBundle.save(bundle, net, card);
        Files.delete(source); // the bundle must not need the user's file
        try (ModelBundle.Loaded back = ModelBundle.load(bundle)) {
            assertThat(back.card().pretrained().file()).isEqualTo("copy-of-tiny.pt");
            NDArray x2 = back.manager().create(x.toFloatArray(), x.getShape());
            ParameterStore ps2 = new ParameterStore(back.manager(), false);
            NDList out = back.net().forward(ps2, new NDList(x2), false);
            double logitDifference = TorchvisionParityTest.relative(out.get(0), back.manager().create(logits.toFloatArray(),
                    logits.getShape()));
            double featureDifference = TorchvisionParityTest.relative(out.get(1), back.manager().create(
                    features.toFloatArray(), features.getShape()));
            assertThat(logitDifference).isLessThanOrEqualTo(1e-6);
            assertThat(featureDifference).isLessThanOrEqualTo(1e-6);
        }
        // an altered bundle is refused by hash, as for every architecture
        Files.write(bundle.resolve(ModelBundle.WEIGHTS), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> ModelBundle.load(bundle)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("sha256");
    }

    @Test
    void loadingSavedParametersKeepsTheSameParameterObjects() throws Exception {
        ClassifierNet net = load("resnet18-scripted.pt", 2).net();
        var before = net.backbone().getParameters();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        net.saveParameters(new DataOutputStream(bytes));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = reference("input");
        NDArray original = net.forward(ps, new NDList(x), false).get(0);
        before.valueAt(0).getArray().muli(0.5f);
        assertThat(TorchvisionParityTest.relative(net.forward(ps, new NDList(x), false).get(0), original))
                .isGreaterThan(1e-3);
        net.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        var after = net.backbone().getParameters();
        assertThat(after.size()).isEqualTo(before.size());
        for (int i = 0; i < after.size(); i++) {
            assertThat(after.valueAt(i)).isSameAs(before.valueAt(i));
        }
        assertThat(TorchvisionParityTest.relative(net.forward(ps, new NDList(x), false).get(0), original))
                .isLessThanOrEqualTo(1e-6);
        // the objects now hold the loaded module's tensors: changing them changes the output again
        before.valueAt(0).getArray().muli(0.5f);
        assertThat(TorchvisionParityTest.relative(net.forward(ps, new NDList(x), false).get(0), original))
                .isGreaterThan(1e-3);
    }

    @Test
    void filesThatAreNotTorchScriptBackbonesGiveOneLineWithTheFileAndARemedy() throws Exception {
        Path text = dir.resolve("notes.pt");
        Files.writeString(text, "not a model\n");
        assertOneLine(() -> TorchScriptBackbone.load(text, 2, 1, 0f, SIZE, manager), "notes.pt", "torch.jit.script");
        assertOneLine(() -> TorchScriptBackbone.load(files.resolve("state-dict.pt"), 2, 1, 0f, SIZE, manager),
                "state-dict.pt", "torch.jit.script");
        assertOneLine(() -> TorchScriptBackbone.load(files.resolve("pooled-scripted.pt"), 2, 1, 0f, SIZE, manager),
                "pooled-scripted.pt", "not a 4-D feature map");
        // an RGB backbone with grey input
        assertOneLine(() -> TorchScriptBackbone.load(files.resolve("resnet18-scripted.pt"), 2, 1, 0f, SIZE, manager),
                "resnet18-scripted.pt", "--channels 3");
        assertOneLine(() -> TorchScriptBackbone.load(dir.resolve("missing.pt"), 2, 1, 0f, SIZE, manager),
                "missing.pt", "torch.jit.script");
        // a TorchScript file given as weights of a built-in architecture
        ClassifierNet resnet = Architectures.initialize(Architecture.resnet18.build(2, 3, 0f), manager, SIZE);
        assertOneLine(() -> PretrainedStart.loadInto(resnet, "resnet18", files.resolve("resnet18-scripted.pt")),
                "resnet18-scripted.pt", "--architecture torchscript");
    }

    private static void assertOneLine(Runnable call, String file, String remedy) {
        assertThatThrownBy(call::run).isInstanceOf(BadInputException.class)
                .hasMessageContaining(file).hasMessageContaining(remedy)
                .satisfies(e -> assertThat(e.getMessage().lines().count()).isEqualTo(1));
    }

    private static String torchVersion() {
        try (Safetensors st = Safetensors.open(files.resolve("reference.safetensors"))) {
            return st.metadata().get("torch");
        }
    }
}
