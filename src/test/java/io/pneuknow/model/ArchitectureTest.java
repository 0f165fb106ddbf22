package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ArchitectureTest {

    /** Reference numbers: sum(p.numel() for p in torchvision.models.X(num_classes=1000).parameters()). */
    @ParameterizedTest
    @CsvSource({
        "resnet18, 3, 11689512",
        "resnet18, 1, 11683240", // conv1 loses 2 x 64 x 7 x 7 = 6272 weights
        "resnet50, 3, 25557032",
        "convnext_tiny, 3, 28589128",
        "convnext_small, 3, 50223688",
        "densenet121, 3, 7978856",
        "densenet121, 1, 7972584", // conv0 loses 2 x 64 x 7 x 7 = 6272 weights
        "efficientnet_b0, 3, 5288548",
        "efficientnet_b1, 3, 7794184",
    })
    void parameterCountsMatchTorchvision(Architecture arch, int channels, long expected) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architectures.initialize(arch.build(1000, channels, 0f), manager, 32);
            assertThat(Architectures.parameterCount(net)).isEqualTo(expected);
        }
    }

    @Test
    void smallMembersHaveTheirIntendedSize() {
        try (NDManager manager = NDManager.newBaseManager()) {
            long tiny = Architectures.parameterCount(
                    Architectures.initialize(Architecture.tiny_cnn.build(2, 1, 0f), manager, 32));
            // convs 9 x (1x16 + 16x32 + 32x64 + 64x64 + 64x128), BN 2 x 304, linear 128 x 2 + 2
            assertThat(tiny).isEqualTo(9L * (16 + 512 + 2048 + 4096 + 8192) + 2 * 304 + 258);
            long half = Architectures.parameterCount(
                    Architectures.initialize(Architecture.resnet18_half.build(2, 1, 0f), manager, 32));
            assertThat(half).isBetween(2_700_000L, 3_000_000L);
            long micro = Architectures.parameterCount(
                    Architectures.initialize(Architecture.convnext_micro.build(2, 1, 0f), manager, 32));
            assertThat(micro).isBetween(4_000_000L, 5_000_000L);
        }
    }

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (Architecture arch : Architecture.values()) {
            for (int channels : new int[] {1, 3}) {
                cases.add(Arguments.of(arch, channels, 64));
            }
        }
        cases.add(Arguments.of(Architecture.tiny_cnn, 1, 96));
        cases.add(Arguments.of(Architecture.tiny_cnn, 3, 96));
        return cases.build();
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void forwardGivesLogitsAndStride32FeatureMap(Architecture arch, int channels, int size) {
        int batch = arch == Architecture.tiny_cnn ? 2 : 1;
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architectures.initialize(arch.build(3, channels, 0.2f), manager, size);
            ParameterStore ps = new ParameterStore(manager, false);
            NDList out = net.forward(ps, new NDList(manager.randomNormal(new Shape(batch, channels, size, size))), false);
            assertThat(out).hasSize(2);
            assertThat(out.get(0).getShape()).isEqualTo(new Shape(batch, 3));
            assertThat(out.get(1).getShape())
                    .isEqualTo(new Shape(batch, net.featureChannels(), size / 32, size / 32));
            assertThat(net.getOutputShapes(new Shape[] {new Shape(batch, channels, size, size)}))
                    .containsExactly(out.get(0).getShape(), out.get(1).getShape());
            assertThat(out.get(0).isInfinite().any().getBoolean() || out.get(0).isNaN().any().getBoolean())
                    .isFalse();
        }
    }

    /** DJL's parameter files (ModelBundle) round-trip every block type, ResNet's strided shortcut included. */
    @ParameterizedTest
    @CsvSource({"tiny_cnn", "resnet18_half", "convnext_micro", "densenet121", "efficientnet_b0"})
    void parametersSurviveSaveAndLoad(Architecture arch) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ai.djl.engine.Engine.getInstance().setRandomSeed(1);
            ClassifierNet a = Architectures.initialize(arch.build(3, 1, 0f), manager, 32);
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            a.saveParameters(new java.io.DataOutputStream(bytes));
            ai.djl.engine.Engine.getInstance().setRandomSeed(2);
            ClassifierNet b = Architectures.initialize(arch.build(3, 1, 0f), manager, 32);
            b.loadParameters(manager, new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
            ParameterStore ps = new ParameterStore(manager, false);
            ai.djl.ndarray.NDArray x = manager.randomNormal(new Shape(2, 1, 32, 32));
            assertThat(b.forward(ps, new NDList(x), false).get(0)
                    .contentEquals(a.forward(ps, new NDList(x), false).get(0))).isTrue();
        }
    }

    @Test
    void rejectsBadInputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Architectures.initialize(Architecture.tiny_cnn.build(2, 1, 0f), manager, 48))
                    .isInstanceOf(IllegalArgumentException.class);
            ClassifierNet net = Architectures.initialize(Architecture.tiny_cnn.build(2, 1, 0f), manager, 64);
            ParameterStore ps = new ParameterStore(manager, false);
            assertThatThrownBy(() -> net.forward(ps, new NDList(manager.zeros(new Shape(1, 3, 64, 64))), false))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> net.forward(ps, new NDList(manager.zeros(new Shape(1, 1, 64, 80))), false))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Architecture.resnet18.build(2, 1, 0f, 0.1f))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Architecture.tiny_cnn.build(2, 1, 1f))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cliNamesRoundTrip() {
        for (Architecture arch : Architecture.values()) {
            assertThat(Architecture.fromCliName(arch.cliName())).isSameAs(arch);
            assertThat(arch.featureStride()).isEqualTo(32);
        }
        assertThatThrownBy(() -> Architecture.fromCliName("vgg16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("convnext_micro");
    }
}
