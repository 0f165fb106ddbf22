package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ClassifierNetTest {

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

    private ClassifierNet tiny(int channels, float dropout) {
        return Architectures.initialize(Architecture.tiny_cnn.build(3, channels, dropout), manager, 64);
    }

    private NDList forward(Block net, NDArray x, boolean training) {
        return net.forward(ps, new NDList(x), training);
    }

    @Test
    void thePreviousLevelIsTheMapBeforeTheLastDownsamplingAndOnlyTheBlocksBeforeItGetItsGradient() {
        // resnet18_half at 64 px: the last map is 2x2 (stride 32), the previous level the end of the third
        // stage, 4x4 (stride 16), with the third stage's width (128, half of torchvision's 256)
        ClassifierNet net = Architectures.initialize(Architecture.resnet18_half.build(3, 1, 0f), manager, 64);
        NDArray x = manager.randomNormal(new Shape(2, 1, 64, 64));
        NDList maps = net.previousAndLastMaps(ps, x, false);
        assertThat(maps.get(0).getShape()).isEqualTo(new Shape(2, 128, 4, 4));
        assertThat(maps.get(1).getShape()).isEqualTo(new Shape(2, 256, 2, 2));
        // the walk is the backbone's own forward pass: the same last map
        assertThat(maps.get(1).contentEquals(net.features(ps, x, false))).isTrue();

        // a loss on the previous level reaches the stem and the first three stages, never the fourth
        List<Block> blocks = new ArrayList<>(net.backbone().getChildren().values());
        Block lastBlock = blocks.get(blocks.size() - 1);
        Block firstConv = blocks.get(0);
        try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
            NDList trained = net.previousAndLastMaps(ps, x, true);
            tape.backward(trained.get(0).square().mean());
        }
        assertThat(gradientNorm(firstConv)).isGreaterThan(0);
        assertThat(gradientNorm(lastBlock)).isZero();
    }

    private static double gradientNorm(Block block) {
        double sum = 0;
        for (Parameter p : block.getParameters().values()) {
            if (p.getArray().hasGradient()) {
                sum += p.getArray().getGradient().square().sum().getFloat();
            }
        }
        return sum;
    }

    @Test
    void dropoutActsOnlyInTraining() {
        ClassifierNet net = tiny(1, 0.5f);
        NDArray x = manager.randomNormal(new Shape(4, 1, 64, 64));
        NDArray train1 = forward(net, x, true).get(0);
        NDArray train2 = forward(net, x, true).get(0);
        assertThat(train1.contentEquals(train2)).isFalse();
        NDArray eval1 = forward(net, x, false).get(0);
        NDArray eval2 = forward(net, x, false).get(0);
        assertThat(eval1.contentEquals(eval2)).isTrue();

        ClassifierNet noDropout = tiny(1, 0f);
        assertThat(forward(noDropout, x, true).get(0).contentEquals(forward(noDropout, x, true).get(0))).isTrue();
    }

    @Test
    void dropoutIsReproducibleAfterReseeding() {
        ClassifierNet net = tiny(1, 0.5f);
        NDArray x = manager.randomNormal(new Shape(4, 1, 64, 64));
        Engine.getInstance().setRandomSeed(7);
        NDArray a = forward(net, x, true).get(0);
        Engine.getInstance().setRandomSeed(7);
        NDArray b = forward(net, x, true).get(0);
        assertThat(a.contentEquals(b)).isTrue();
    }

    @Test
    void batchNormInInferenceUsesRunningStatsSoSamplesAreIndependent() {
        ClassifierNet net = tiny(3, 0f);
        NDArray batch = manager.randomNormal(new Shape(4, 3, 64, 64));
        forward(net, batch.mul(3).add(1), true); // move the running stats away from (0, 1)
        NDArray first = batch.get(new NDIndex("0:1"));

        NDArray alone = forward(net, first, false).get(0);
        NDArray inBatch = forward(net, batch, false).get(0).get(new NDIndex("0:1"));
        assertThat(alone.allClose(inBatch, 1e-5, 1e-5, false)).isTrue();

        // in training mode BN uses batch statistics, so the same image gives a different output
        NDArray aloneTrain = forward(net, first.repeat(0, 2), true).get(0).get(new NDIndex("0:1"));
        NDArray inBatchTrain = forward(net, batch, true).get(0).get(new NDIndex("0:1"));
        assertThat(aloneTrain.allClose(inBatchTrain, 1e-3, 1e-3, false)).isFalse();
    }

    @Test
    void forwardReturnsLogitsAndTheFeatureMapOfTheSamePass() {
        ClassifierNet net = tiny(1, 0f);
        NDArray x = manager.randomNormal(new Shape(2, 1, 96, 96));
        NDList out = forward(net, x, false);
        NDArray features = net.features(ps, x, false);
        assertThat(out.get(1).allClose(features, 1e-6, 1e-6, false)).isTrue();
        assertThat(out.get(0).allClose(net.headForward(ps, features, false), 1e-6, 1e-6, false)).isTrue();
    }

    @Test
    void headIsMeanPoolThenLinear() {
        ClassifierNet net = tiny(1, 0.5f); // inference mode: dropout must be the identity
        int n = 2;
        int c = net.featureChannels();
        int hw = 4;
        float[] f = manager.randomNormal(new Shape(n, c, 2, 2)).toFloatArray();
        float[] w = null;
        float[] b = null;
        for (Parameter p : net.head().getParameters().values()) {
            if (p.getType() == Parameter.Type.WEIGHT) {
                w = p.getArray().toFloatArray();
                assertThat(p.getShape()).isEqualTo(new Shape(3, c));
            } else if (p.getType() == Parameter.Type.BIAS) {
                b = p.getArray().toFloatArray();
            }
        }
        // give the (zero-initialised) bias values so that it is checked too
        net.head().getParameters().values().stream()
                .filter(p -> p.getType() == Parameter.Type.BIAS)
                .findFirst().orElseThrow()
                .getArray().set(new float[] {0.5f, -1f, 2f});
        b = new float[] {0.5f, -1f, 2f};

        float[] logits = net.headForward(ps, manager.create(f, new Shape(n, c, 2, 2)), false).toFloatArray();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                double expected = b[k];
                for (int ch = 0; ch < c; ch++) {
                    double mean = 0;
                    for (int s = 0; s < hw; s++) {
                        mean += f[(i * c + ch) * hw + s];
                    }
                    expected += mean / hw * w[k * c + ch];
                }
                assertThat((double) logits[i * 3 + k]).isCloseTo(expected, within(1e-4));
            }
        }
    }

    private static List<float[]> weights(Block net) {
        List<float[]> all = new ArrayList<>();
        for (Parameter p : net.getParameters().values()) {
            all.add(p.getArray().toFloatArray());
        }
        return all;
    }

    @Test
    void reseedingTheEngineGivesIdenticalInitialWeights() {
        for (Architecture arch : new Architecture[] {Architecture.tiny_cnn, Architecture.convnext_micro}) {
            Engine.getInstance().setRandomSeed(1234);
            List<float[]> a = weights(Architectures.initialize(arch.build(2, 1, 0f), manager, 32));
            Engine.getInstance().setRandomSeed(1234);
            List<float[]> b = weights(Architectures.initialize(arch.build(2, 1, 0f), manager, 32));
            Engine.getInstance().setRandomSeed(99);
            List<float[]> c = weights(Architectures.initialize(arch.build(2, 1, 0f), manager, 32));
            assertThat(a).hasSameSizeAs(b);
            for (int i = 0; i < a.size(); i++) {
                // Arrays.equals: AssertJ's containsExactly is far too slow on arrays of a million floats
                assertThat(java.util.Arrays.equals(b.get(i), a.get(i))).as(arch + " parameter " + i).isTrue();
            }
            assertThat(java.util.Arrays.equals(c.get(0), a.get(0))).isFalse();
        }
    }

    @Test
    void everyTrainableParameterGetsAGradient() {
        for (Architecture arch : new Architecture[] {Architecture.tiny_cnn, Architecture.convnext_micro}) {
            ClassifierNet net = Architectures.initialize(arch.build(2, 1, 0.2f, 0f), manager, 64);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = forward(net, manager.randomNormal(new Shape(2, 1, 64, 64)), true);
                gc.backward(out.get(0).sum().add(out.get(1).square().mean()));
            }
            for (Parameter p : net.getParameters().values()) {
                if (p.requiresGradient()) {
                    assertThat(p.getArray().getGradient().abs().sum().getFloat()).as(arch + " " + p.getName())
                            .isPositive();
                }
            }
        }
    }
}
