package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyMappingTest {

    /** timm's key names and shapes, spelled out from timm's source (see the file's header). */
    static final Path TIMM_FIXTURE = Path.of("src/test/python/timm-keys.txt");

    static Stream<Arguments> mapped() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (Architecture arch : Architecture.values()) {
            if (arch != Architecture.tiny_cnn) {
                for (String scheme : List.of(KeyMapping.TORCHVISION, KeyMapping.TIMM)) {
                    cases.add(Arguments.of(arch, scheme, 0f));
                    cases.add(Arguments.of(arch, scheme, 0.2f));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest
    @MethodSource("mapped")
    void everyParameterHasExactlyOneSourceKey(Architecture arch, String scheme, float dropout) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architectures.initialize(arch.build(4, 1, dropout), manager, 32);
            KeyMapping mapping = KeyMapping.of(net, scheme);
            if (arch == Architecture.densenet121 && scheme.equals(KeyMapping.TIMM)) {
                assertThat(mapping).as("timm names are not offered for densenet121").isNull();
                return;
            }
            List<String> ours = new ArrayList<>(PretrainedWeights.parameters(net).keySet());
            assertThat(mapping.keys().values()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ours);
            assertThat(mapping.keys()).containsKey(mapping.firstConv());
            assertThat(mapping.classifier()).hasSize(2).allMatch(mapping.keys()::containsKey);
        }
    }

    @Test
    void tinyCnnHasNoMapping() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architectures.initialize(Architecture.tiny_cnn.build(2, 1, 0f), manager, 32);
            assertThat(KeyMapping.of(net, KeyMapping.TORCHVISION)).isNull();
            assertThat(KeyMapping.all(net)).isEmpty();
        }
    }

    /**
     * The timm mapping of each supported model against the committed fixture: the same keys in the same
     * (state_dict) order, apart from BatchNorm's num_batches_tracked, and each of our parameters has the
     * fixture's shape.
     */
    @ParameterizedTest
    @ValueSource(strings = {"resnet50", "convnext_tiny", "convnext_small", "efficientnet_b0", "efficientnet_b1"})
    void timmMappingMatchesTheFixture(String model) throws IOException {
        Map<String, Shape> fixture = timmFixture().get(model);
        assertThat(fixture).as("fixture has %s", model).isNotNull();
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architectures.initialize(Architecture.fromCliName(model).build(1000, 3, 0f), manager, 32);
            KeyMapping timm = KeyMapping.of(net, KeyMapping.TIMM);
            List<String> expected = fixture.keySet().stream().filter(k -> !KeyMapping.ignorable(k)).toList();
            assertThat(new ArrayList<>(timm.keys().keySet())).containsExactlyElementsOf(expected);
            var params = PretrainedWeights.parameters(net);
            for (String key : expected) {
                assertThat(params.get(timm.keys().get(key)).getShape()).as(key).isEqualTo(fixture.get(key));
            }
            String[] firstAndClassifier = switch (model) {
                case "resnet50" -> new String[] {"conv1.weight", "fc.weight", "fc.bias"};
                case "convnext_tiny", "convnext_small" -> new String[] {"stem.0.weight", "head.fc.weight", "head.fc.bias"};
                default -> new String[] {"conv_stem.weight", "classifier.weight", "classifier.bias"};
            };
            assertThat(timm.firstConv()).isEqualTo(firstAndClassifier[0]);
            assertThat(timm.classifier()).containsExactlyInAnyOrder(firstAndClassifier[1], firstAndClassifier[2]);
            // timm's ResNet keeps torchvision's names; its ConvNeXt and EfficientNet do not
            assertThat(timm.sameAs(KeyMapping.of(net, KeyMapping.TORCHVISION))).isEqualTo(model.equals("resnet50"));
        }
    }

    @Test
    void legacyDenseNetKeysAreRenamedAsTorchvisionDoes() {
        assertThat(KeyMapping.normalize("features.denseblock1.denselayer1.norm.1.weight"))
                .isEqualTo("features.denseblock1.denselayer1.norm1.weight");
        assertThat(KeyMapping.normalize("features.denseblock4.denselayer16.conv.2.weight"))
                .isEqualTo("features.denseblock4.denselayer16.conv2.weight");
        assertThat(KeyMapping.normalize("features.denseblock2.denselayer3.norm.2.running_var"))
                .isEqualTo("features.denseblock2.denselayer3.norm2.running_var");
        for (String unchanged : List.of("features.transition1.norm.weight", "layer1.0.bn1.weight",
                "features.denseblock1.denselayer1.norm1.weight", "stages.1.downsample.1.bias")) {
            assertThat(KeyMapping.normalize(unchanged)).isEqualTo(unchanged);
        }
    }

    /** model -> key -> shape, in file order. */
    static Map<String, Map<String, Shape>> timmFixture() throws IOException {
        Map<String, Map<String, Shape>> models = new LinkedHashMap<>();
        Map<String, Shape> current = null;
        for (String line : Files.readAllLines(TIMM_FIXTURE)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("model")) {
                current = new LinkedHashMap<>();
                models.put(f[1], current);
                continue;
            }
            long[] dims = f[2].equals("-") ? new long[0]
                    : Stream.of(f[2].split(",")).mapToLong(Long::parseLong).toArray();
            current.put(f[0], new Shape(dims));
        }
        return models;
    }
}
