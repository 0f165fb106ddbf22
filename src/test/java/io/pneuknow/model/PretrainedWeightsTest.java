package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.pneuknow.BadInputException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Weight import on our CPU-sized members (their names follow torchvision's and timm's schemes like the full
 * sizes, see KeyMapping): export a net's weights under one scheme, load them into another net.
 */
class PretrainedWeightsTest {

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ClassifierNet net(Architecture arch, int classes, int channels, int seed, float dropout) {
        Engine.getInstance().setRandomSeed(seed);
        return Architectures.initialize(arch.build(classes, channels, dropout), manager, 32);
    }

    private NDArray features(ClassifierNet net, NDArray x) {
        return net.features(new ParameterStore(manager, false), x, false);
    }

    private static NDArray param(ClassifierNet net, String name) {
        return PretrainedWeights.parameters(net).get(name).getArray();
    }

    private static String headLinear(ClassifierNet net, String scheme) {
        KeyMapping m = KeyMapping.of(net, scheme);
        return m.keys().get(m.classifier().stream().filter(k -> k.endsWith(".weight")).findFirst().orElseThrow());
    }

    @ParameterizedTest
    @CsvSource({"convnext_micro, torchvision, safetensors/torchvision", "convnext_micro, timm, safetensors/timm",
        "resnet18_half, torchvision, safetensors/torchvision+timm", "resnet18_half, timm, safetensors/torchvision+timm",
        "efficientnet_b0, timm, safetensors/timm", "densenet121, torchvision, safetensors/torchvision"})
    void loadsEverythingButTheClassifier(Architecture arch, String scheme, String format) {
        ClassifierNet source = net(arch, 7, 3, 1, 0f);
        Path file = dir.resolve("w.safetensors");
        PretrainedWeights.export(source, file, scheme);

        ClassifierNet target = net(arch, 3, 3, 2, 0.3f); // other classes and a dropout block in the head
        NDArray x = manager.randomNormal(new Shape(2, 3, 32, 32));
        assertThat(features(target, x).contentEquals(features(source, x))).isFalse();
        NDArray headBefore = param(target, headLinear(target, scheme)).duplicate();

        PretrainedWeights.Info info = PretrainedWeights.loadInto(target, file);

        KeyMapping mapping = KeyMapping.of(target, scheme);
        assertThat(info.format()).isEqualTo(format);
        assertThat(info.name()).isEqualTo("w.safetensors");
        assertThat(info.sha256()).isEqualTo(Safetensors.sha256(file)).hasSize(64);
        assertThat(info.loaded()).isEqualTo(mapping.keys().size() - 2);
        assertThat(info.skipped()).isEqualTo(2); // the classifier's weight and bias
        assertThat(info.firstConv()).isEqualTo("as is");
        assertThat(features(target, x).allClose(features(source, x), 1e-6, 1e-6, false)).isTrue();
        assertThat(param(target, headLinear(target, scheme)).contentEquals(headBefore)).isTrue();
        mapping.keys().forEach((key, ours) -> {
            if (!mapping.classifier().contains(key)) {
                assertThat(param(target, ours).contentEquals(param(source, ours))).as(key).isTrue();
            }
        });
        if (arch == Architecture.convnext_micro) { // the head's LayerNorm is pretrained, not replaced
            String norm = mapping.keys().get(scheme.equals("timm") ? "head.norm.weight" : "classifier.0.weight");
            assertThat(param(target, norm).contentEquals(param(source, norm))).isTrue();
        }
    }

    @Test
    void firstConvolutionIsAdaptedBetweenOneAndThreeChannels() {
        NDArray grey = manager.randomNormal(new Shape(2, 1, 32, 32));
        NDArray rgb = grey.repeat(1, 3);

        ClassifierNet three = net(Architecture.resnet18_half, 2, 3, 1, 0f);
        Path fromThree = dir.resolve("three.safetensors");
        PretrainedWeights.export(three, fromThree, KeyMapping.TORCHVISION);
        ClassifierNet one = net(Architecture.resnet18_half, 2, 1, 2, 0f);
        assertThat(PretrainedWeights.loadInto(one, fromThree).firstConv()).isEqualTo("3 -> 1 channel (sum)");
        // a grey image replicated to RGB gives the RGB net's output
        assertThat(features(one, grey).allClose(features(three, rgb), 1e-4, 1e-5, false)).isTrue();

        ClassifierNet oneSource = net(Architecture.convnext_micro, 2, 1, 3, 0f);
        Path fromOne = dir.resolve("one.safetensors");
        PretrainedWeights.export(oneSource, fromOne, KeyMapping.TIMM);
        ClassifierNet threeTarget = net(Architecture.convnext_micro, 2, 3, 4, 0f);
        assertThat(PretrainedWeights.loadInto(threeTarget, fromOne).firstConv())
                .isEqualTo("1 -> 3 channels (replicated / 3)");
        assertThat(features(threeTarget, rgb).allClose(features(oneSource, grey), 1e-4, 1e-5, false)).isTrue();
    }

    @Test
    void loadedParametersStillTrain() {
        ClassifierNet source = net(Architecture.resnet18_half, 2, 3, 1, 0f);
        Path file = dir.resolve("w.safetensors");
        PretrainedWeights.export(source, file, KeyMapping.TORCHVISION);
        ClassifierNet target = net(Architecture.resnet18_half, 2, 1, 2, 0f);
        PretrainedWeights.loadInto(target, file);
        NDArray first = param(target, KeyMapping.of(target, KeyMapping.TORCHVISION).keys().get("conv1.weight"));
        assertThat(first.hasGradient()).isTrue();
        try (ai.djl.training.GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray out = target.forward(new ParameterStore(manager, false),
                    new ai.djl.ndarray.NDList(manager.randomNormal(new Shape(2, 1, 32, 32))), true).get(0);
            collector.backward(out.sum());
            assertThat(first.getGradient().abs().sum().getFloat()).isPositive();
        }
    }

    @Test
    void missingUnexpectedAndMisshapenKeysAreListedAndNothingIsLoaded() {
        ClassifierNet source = net(Architecture.resnet18_half, 2, 3, 1, 0f);
        Path exported = dir.resolve("ok.safetensors");
        PretrainedWeights.export(source, exported, KeyMapping.TORCHVISION);
        Map<String, Safetensors.Tensor> tensors = readAll(exported);
        tensors.remove("layer1.0.conv1.weight");
        tensors.remove("layer4.1.bn2.running_var");
        tensors.put("extra.weight", new Safetensors.Tensor(new long[] {1}, new float[] {1}));
        tensors.put("layer2.0.bn1.weight", new Safetensors.Tensor(new long[] {7}, new float[7]));
        Path broken = dir.resolve("broken.safetensors");
        Safetensors.write(broken, tensors, Map.of());

        ClassifierNet target = net(Architecture.resnet18_half, 2, 3, 2, 0f);
        String conv1 = KeyMapping.of(target, KeyMapping.TORCHVISION).keys().get("conv1.weight");
        NDArray before = param(target, conv1).duplicate();
        assertThatThrownBy(() -> PretrainedWeights.loadInto(target, broken))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("broken.safetensors")
                .hasMessageContaining("2 keys missing: layer1.0.conv1.weight, layer4.1.bn2.running_var")
                .hasMessageContaining("1 key unexpected: extra.weight")
                .hasMessageContaining("1 key of the wrong shape: layer2.0.bn1.weight F32 (7) (expected (64))");
        assertThat(param(target, conv1).contentEquals(before)).isTrue();
    }

    @Test
    void dataParallelPrefixIsDroppedAndBatchCountersAreSkipped() {
        ClassifierNet source = net(Architecture.resnet18_half, 2, 3, 1, 0f);
        Path exported = dir.resolve("plain.safetensors");
        PretrainedWeights.export(source, exported, KeyMapping.TORCHVISION);
        Map<String, Safetensors.Tensor> prefixed = new LinkedHashMap<>();
        readAll(exported).forEach((k, v) -> prefixed.put("module." + k, v));
        prefixed.put("module.bn1.num_batches_tracked", new Safetensors.Tensor(new long[] {}, new float[] {3}));
        Path file = dir.resolve("prefixed.safetensors");
        Safetensors.write(file, prefixed, Map.of());

        ClassifierNet target = net(Architecture.resnet18_half, 2, 3, 2, 0f);
        PretrainedWeights.Info info = PretrainedWeights.loadInto(target, file);
        assertThat(info.skipped()).isEqualTo(3);
        NDArray x = manager.randomNormal(new Shape(1, 3, 32, 32));
        assertThat(features(target, x).allClose(features(source, x), 1e-6, 1e-6, false)).isTrue();
    }

    @Test
    void filesOfAnotherArchitectureOrWithoutCounterpartAreBadInput() {
        ClassifierNet convnext = net(Architecture.convnext_micro, 2, 3, 1, 0f);
        Path file = dir.resolve("convnext.safetensors");
        PretrainedWeights.export(convnext, file, KeyMapping.TIMM);
        assertThatThrownBy(() -> PretrainedWeights.loadInto(net(Architecture.resnet18_half, 2, 3, 2, 0f), file))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("no key matches").hasMessageContaining("stem.0.weight");
        assertThatThrownBy(() -> PretrainedWeights.loadInto(net(Architecture.tiny_cnn, 2, 3, 2, 0f), file))
                .isInstanceOf(BadInputException.class).hasMessageContaining("tiny_cnn");
        assertThatThrownBy(() -> PretrainedWeights.loadInto(convnext, dir.resolve("absent.safetensors")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("does not exist");
    }

    @Test
    void adaptationSumsOrReplicatesOverInputChannels() {
        float[] w = {1, 2, 3, 4, 5, 6, 7, 8}; // shape (2, 1, 2, 2)
        float[] three = PretrainedWeights.adapt(w, new Shape(2, 1, 2, 2), PretrainedWeights.Adapt.REPLICATE_TO_THREE);
        assertThat(three).hasSize(24);
        assertThat(three[0]).isEqualTo(1 / 3f);
        assertThat(three[4]).isEqualTo(1 / 3f); // channel 1 of output 0
        assertThat(three[12]).isEqualTo(5 / 3f); // output 1, channel 0
        float[] one = PretrainedWeights.adapt(three, new Shape(2, 3, 2, 2), PretrainedWeights.Adapt.SUM_TO_ONE);
        assertThat(one).containsExactly(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(PretrainedWeights.adaptation(true, new Shape(8, 3, 7, 7), new Shape(8, 1, 7, 7)))
                .isEqualTo(PretrainedWeights.Adapt.SUM_TO_ONE);
        assertThat(PretrainedWeights.adaptation(false, new Shape(8, 3, 7, 7), new Shape(8, 1, 7, 7))).isNull();
        assertThat(PretrainedWeights.adaptation(true, new Shape(8, 4, 7, 7), new Shape(8, 1, 7, 7))).isNull();
        assertThat(PretrainedWeights.adaptation(false, new Shape(96, 1, 1), new Shape(96)))
                .isEqualTo(PretrainedWeights.Adapt.NONE);
    }

    static Map<String, Safetensors.Tensor> readAll(Path file) {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        try (Safetensors st = Safetensors.open(file)) {
            for (Safetensors.Entry e : st.entries().values()) {
                tensors.put(e.name(), new Safetensors.Tensor(e.shape(), st.floats(e.name())));
            }
        }
        return tensors;
    }

    @Test
    void exportWritesTorchvisionLayerScaleShape() {
        ClassifierNet net = net(Architecture.convnext_micro, 2, 3, 1, 0f);
        Path file = dir.resolve("tv.safetensors");
        PretrainedWeights.export(net, file, KeyMapping.TORCHVISION);
        try (Safetensors st = Safetensors.open(file)) {
            assertThat(st.entry("features.1.0.layer_scale").shape()).containsExactly(48, 1, 1);
            assertThat(st.metadata()).containsEntry("scheme", "torchvision");
            long total = st.entries().values().stream().mapToLong(Safetensors.Entry::size).sum();
            assertThat(total).isEqualTo(Architectures.parameterCount(net) + runningStats(net));
        }
    }

    private static long runningStats(ClassifierNet net) {
        return PretrainedWeights.parameters(net).values().stream()
                .filter(p -> p.getType() == Parameter.Type.RUNNING_MEAN || p.getType() == Parameter.Type.RUNNING_VAR)
                .mapToLong(p -> p.getShape().size()).sum();
    }
}
