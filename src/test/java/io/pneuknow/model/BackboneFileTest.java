package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.transform.Preprocessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackboneFileTest {
    @TempDir
    Path dir;
    private NDManager manager;
    private ParameterStore store;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        store = new ParameterStore(manager, false);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ClassifierNet net(Architecture architecture, int classes, int channels, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        return Architectures.initialize(architecture.build(classes, channels, 0f), manager, 64);
    }

    private static BackboneCard card(String architecture, int channels) {
        return new BackboneCard(BackboneCard.FORMAT, "", "", "", architecture, channels, 64, 128, 0,
                Preprocessor.defaults(64, channels), "contrastive", Json.MAPPER.createObjectNode(), 1, 2, "abc",
                BackboneFile.IMAGES, "test", null, List.of(), null, 1, 1, Map.of(), 1.0, "now", "test");
    }

    /** A tiny_cnn whose BatchNorm running statistics have moved away from their initial values. */
    private ClassifierNet trainedTiny(int channels) {
        ClassifierNet source = net(Architecture.tiny_cnn, 3, channels, 1);
        source.features(store, manager.randomUniform(0, 3, new Shape(8, channels, 64, 64)), true);
        return source;
    }

    @Test
    void roundTripGivesIdenticalBackboneOutputsAndKeepsTheHeadAndGradients() throws Exception {
        ClassifierNet source = trainedTiny(1);
        BackboneCard written = BackboneFile.save(dir, source, card("tiny_cnn", 1), "a.png\nb.png\n");
        assertThat(written.weightsSha256()).hasSize(64);
        assertThat(written.id()).isEqualTo(written.weightsSha256().substring(0, 12));
        assertThat(Files.readString(dir.resolve(BackboneFile.IMAGES))).isEqualTo("a.png\nb.png\n");

        // a different number of classes: only the backbone is loaded, the head stays
        ClassifierNet target = net(Architecture.tiny_cnn, 5, 1, 2);
        NDArray headBefore = target.head().getParameters().valueAt(0).getArray().duplicate();
        NDArray x = manager.randomUniform(0, 1, new Shape(3, 1, 64, 64));
        assertThat(target.features(store, x, false).contentEquals(source.features(store, x, false))).isFalse();

        BackboneCard loaded = BackboneFile.loadInto(target, dir);
        assertThat(loaded).isEqualTo(written);
        assertThat(target.features(store, x, false).contentEquals(source.features(store, x, false))).isTrue();
        assertThat(target.head().getParameters().valueAt(0).getArray().contentEquals(headBefore)).isTrue();
        // the file's and the params path work too
        assertThat(BackboneFile.loadInto(target, "tiny_cnn", dir.resolve(BackboneFile.CARD))).isEqualTo(written);
        assertThat(BackboneFile.loadInto(target, dir.resolve(BackboneFile.WEIGHTS))).isEqualTo(written);

        // still trainable: a backward pass reaches the loaded backbone weights
        try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
            NDArray logits = target.forward(store, new NDList(x), true).get(0);
            tape.backward(logits.sum());
        }
        Parameter first = target.backbone().getParameters().valueAt(0);
        assertThat(first.getArray().getGradient().abs().sum().getFloat()).isPositive();
    }

    @Test
    void loadingLeavesTheEngineGeneratorAlone() throws Exception {
        BackboneFile.save(dir, trainedTiny(1), card("tiny_cnn", 1), "");
        ClassifierNet target = net(Architecture.tiny_cnn, 2, 1, 4);
        Engine.getInstance().setRandomSeed(9);
        float[] expected = manager.randomUniform(0, 1, new Shape(5)).toFloatArray();
        Engine.getInstance().setRandomSeed(9);
        BackboneFile.loadInto(target, dir);
        assertThat(manager.randomUniform(0, 1, new Shape(5)).toFloatArray()).containsExactly(expected);
    }

    @Test
    void mismatchesAreOneLineErrorsNamingTheMismatch() throws Exception {
        BackboneFile.save(dir, trainedTiny(1), card("tiny_cnn", 1), "");
        ClassifierNet threeChannels = net(Architecture.tiny_cnn, 3, 3, 1);
        assertThatThrownBy(() -> BackboneFile.loadInto(threeChannels, dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("takes 1 input channel(s), the network 3")
                .hasMessageNotContaining("\n");

        ClassifierNet resnet = net(Architecture.resnet18_half, 3, 1, 1);
        assertThatThrownBy(() -> BackboneFile.loadInto(resnet, "resnet18_half", dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("the backbone is tiny_cnn, the network resnet18_half");
        assertThatThrownBy(() -> BackboneFile.loadInto(resnet, dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("does not match this tiny_cnn backbone at parameter 0")
                .hasMessageContaining("(16, 1, 3, 3)")
                .hasMessageContaining("(32, 1, 7, 7)")
                .hasMessageNotContaining("\n");

        Path missing = dir.resolve("nothing");
        assertThatThrownBy(() -> BackboneFile.loadInto(resnet, missing))
                .isInstanceOf(BadInputException.class).hasMessageContaining("no backbone card here");
    }

    @Test
    void alteredOrForeignWeightsAreRefused() throws Exception {
        BackboneFile.save(dir, trainedTiny(1), card("tiny_cnn", 1), "");
        ClassifierNet target = net(Architecture.tiny_cnn, 3, 1, 1);
        byte[] weights = Files.readAllBytes(dir.resolve(BackboneFile.WEIGHTS));
        weights[weights.length - 1] ^= 1;
        Files.write(dir.resolve(BackboneFile.WEIGHTS), weights);
        assertThatThrownBy(() -> BackboneFile.loadInto(target, dir))
                .isInstanceOf(BadInputException.class).hasMessageContaining("do not match the sha256");

        // a card that claims another architecture than the weights hold
        Path other = dir.resolve("other");
        BackboneCard written = BackboneFile.save(other, trainedTiny(1), card("tiny_cnn", 1), "");
        BackboneCard lying = new BackboneCard(written.format(), written.id(), written.weightsFile(),
                written.weightsSha256(), "resnet18_half", 1, 64, 256, 0, written.preprocessing(), "contrastive",
                written.settings(), 1, 2, "abc", BackboneFile.IMAGES, "test", null, List.of(), null, 1, 1, Map.of(),
                1.0, "now", "test");
        Files.writeString(other.resolve(BackboneFile.CARD), Json.MAPPER.writeValueAsString(lying));
        ClassifierNet resnet = net(Architecture.resnet18_half, 3, 1, 1);
        NDArray before = resnet.backbone().getParameters().valueAt(0).getArray().duplicate();
        assertThatThrownBy(() -> BackboneFile.loadInto(resnet, other))
                .isInstanceOf(BadInputException.class).hasMessageContaining("not a resnet18_half backbone");
        // the network is untouched after a refused load
        assertThat(resnet.backbone().getParameters().valueAt(0).getArray().contentEquals(before)).isTrue();
    }
}
