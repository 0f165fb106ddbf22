package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConvNeXtTest {

    private NDManager manager;
    private ParameterStore ps;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        ps = new ParameterStore(manager, false);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void layerNorm2dNormalisesEachPixelOverChannels() {
        // W == C on purpose: LayerNorm over the wrong (trailing) axis would not fail, just be wrong
        NDArray x = manager.randomNormal(new Shape(2, 5, 3, 5)).mul(4).add(2);
        LayerNorm2d norm = new LayerNorm2d();
        norm.initialize(manager, DataType.FLOAT32, x.getShape());
        NDArray y = norm.forward(ps, new NDList(x), false).singletonOrThrow();

        NDArray mean = x.mean(new int[] {1}, true);
        NDArray var = x.sub(mean).square().mean(new int[] {1}, true);
        NDArray expected = x.sub(mean).div(var.add(1e-6f).sqrt());
        assertThat(y.getShape()).isEqualTo(x.getShape());
        assertThat(y.allClose(expected, 1e-4, 1e-4, false)).isTrue();
    }

    @Test
    void stochasticDepthDropsWholeSamplesReproducibly() {
        StochasticDepth drop = new StochasticDepth(0.5f);
        NDArray x = manager.ones(new Shape(2000, 2, 2, 2));
        assertThat(drop.forward(ps, new NDList(x), false).singletonOrThrow().contentEquals(x)).isTrue();

        Engine.getInstance().setRandomSeed(3);
        NDArray a = drop.forward(ps, new NDList(x), true).singletonOrThrow();
        Engine.getInstance().setRandomSeed(3);
        NDArray b = drop.forward(ps, new NDList(x), true).singletonOrThrow();
        assertThat(a.contentEquals(b)).isTrue();

        float[] perSample = a.reshape(2000, 8).toFloatArray();
        int kept = 0;
        for (int i = 0; i < 2000; i++) {
            float v = perSample[i * 8];
            assertThat(v).isIn(0f, 2f); // dropped, or kept and scaled by 1 / (1 - 0.5)
            for (int j = 1; j < 8; j++) {
                assertThat(perSample[i * 8 + j]).isEqualTo(v); // the whole sample is dropped or kept
            }
            kept += v > 0 ? 1 : 0;
        }
        assertThat(kept).isBetween(900, 1100);
    }

    private static List<ConvNeXtBlock> blocks(Block block) {
        List<ConvNeXtBlock> found = new ArrayList<>();
        if (block instanceof ConvNeXtBlock b) {
            found.add(b);
        }
        for (Block child : block.getChildren().values()) {
            found.addAll(blocks(child));
        }
        return found;
    }

    @Test
    void dropPathRatesIncreaseLinearlyAndLayerScaleStartsAtOneMillionth() {
        ClassifierNet net = Architectures.initialize(
                Architecture.convnext_micro.build(2, 1, 0f, 0.33f), manager, 32);
        List<ConvNeXtBlock> blocks = blocks(net);
        assertThat(blocks).hasSize(12);
        for (int i = 0; i < blocks.size(); i++) {
            assertThat(blocks.get(i).dropPathRate()).isCloseTo(0.33f * i / 11f, org.assertj.core.api.Assertions.within(1e-6f));
        }
        List<Parameter> scales = net.getParameters().values().stream()
                .filter(p -> p.getName().equals("layerScale")).toList();
        assertThat(scales).hasSize(12);
        for (Parameter p : scales) {
            assertThat(p.requiresGradient()).isTrue();
            assertThat(p.getArray().toFloatArray()).containsOnly(1e-6f);
        }
        // convs and linears ~ N(0, 0.02), biases 0
        for (Parameter p : net.getParameters().values()) {
            float[] v = p.getArray().toFloatArray();
            if (p.getType() == Parameter.Type.BIAS || p.getType() == Parameter.Type.BETA) {
                assertThat(v).containsOnly(0f);
            } else if (p.getType() == Parameter.Type.WEIGHT && v.length > 1000) {
                double sq = 0;
                for (float f : v) {
                    sq += f * f;
                }
                assertThat(Math.sqrt(sq / v.length)).isBetween(0.018, 0.022);
            }
        }
    }

    @Test
    void dropPathMakesTrainingForwardsRandomButReseedable() {
        ClassifierNet net = Architectures.initialize(
                Architecture.convnext_micro.build(2, 1, 0f, 0.5f), manager, 64);
        // make the residual branches matter: layer scale 1 instead of 1e-6
        net.getParameters().values().stream().filter(p -> p.getName().equals("layerScale"))
                .forEach(p -> p.getArray().set(manager.ones(p.getShape()).toFloatArray()));
        NDArray x = manager.randomNormal(new Shape(4, 1, 64, 64));
        Engine.getInstance().setRandomSeed(5);
        NDArray a = net.forward(ps, new NDList(x), true).get(0);
        Engine.getInstance().setRandomSeed(5);
        NDArray b = net.forward(ps, new NDList(x), true).get(0);
        Engine.getInstance().setRandomSeed(6);
        NDArray c = net.forward(ps, new NDList(x), true).get(0);
        assertThat(a.contentEquals(b)).isTrue();
        assertThat(a.contentEquals(c)).isFalse();
        assertThat(net.forward(ps, new NDList(x), false).get(0)
                .contentEquals(net.forward(ps, new NDList(x), false).get(0))).isTrue();
    }
}
