package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ClassifierNet#classActivationMaps}: a hand-computed map, and the identity with the logits for both heads. */
class ClassActivationMapTest {
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

    /** A net whose backbone is the identity (unused here) and whose head is the standard one, initialised for (C, h, w) features. */
    private ClassifierNet headOnly(int classes, int channels, boolean layerNorm, float dropout) {
        ClassifierNet net = new ClassifierNet(new LambdaBlock(x -> x), ClassifierNet.standardHead(classes, dropout, layerNorm),
                1, channels, classes);
        net.head().initialize(manager, DataType.FLOAT32, new Shape(1, channels, 2, 2));
        return net;
    }

    private static float[] random(Random random, int n, double scale, double offset) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (offset + scale * random.nextGaussian());
        }
        return v;
    }

    private static Block child(ClassifierNet net, int index) {
        return ((SequentialBlock) net.head()).getChildren().values().get(index);
    }

    @Test
    void aHandComputedTwoByTwoMapAndItsGradient() {
        ClassifierNet net = headOnly(2, 2, false, 0f);
        Linear linear = (Linear) child(net, 1);
        // W = [[1, 2], [-1, 0.5]], b = [0.25, -3]
        linear.getParameters().get("weight").getArray().set(new float[] {1, 2, -1, 0.5f});
        linear.getParameters().get("bias").getArray().set(new float[] {0.25f, -3});
        // both samples: channel 0 = [[1, 2], [3, 4]], channel 1 = [[0, 1], [0, -1]]
        float[] one = {1, 2, 3, 4, 0, 1, 0, -1};
        float[] both = new float[16];
        System.arraycopy(one, 0, both, 0, 8);
        System.arraycopy(one, 0, both, 8, 8);
        NDArray features = manager.create(both, new Shape(2, 2, 2, 2));
        NDArray classes = manager.create(new int[] {0, 1});
        try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
            NDArray cam = net.classActivationMaps(features, classes);
            assertThat(cam.getShape()).isEqualTo(new Shape(2, 2, 2));
            // class 0: 1 * ch0 + 2 * ch1; class 1: -1 * ch0 + 0.5 * ch1
            assertThat(cam.toFloatArray()).containsExactly(1, 4, 3, 2, -1, -1.5f, -3, -4.5f);
            tape.backward(cam.sum());
        }
        // d sum(CAM) / d W[c, k] = sum over (h, w) of channel k of the samples of class c: 10 and 0
        assertThat(linear.getParameters().get("weight").getArray().getGradient().toFloatArray())
                .containsExactly(10, 0, 10, 0);
    }

    @Test
    void theMeanOfTheMapPlusTheBiasIsTheLogitOfTheTinyCnnHead() {
        Engine.getInstance().setRandomSeed(3);
        ClassifierNet net = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0.5f), manager, 64);
        int c = net.featureChannels();
        Random random = new Random(5);
        NDArray features = manager.create(random(random, 4 * c * 3 * 2, 1, 0.5), new Shape(4, c, 3, 2));
        int[] classes = {2, 0, 1, 2};
        NDArray cam = net.classActivationMaps(features, manager.create(classes));
        float[] mean = cam.reshape(4, -1).mean(new int[] {1}).toFloatArray();
        float[] logits = net.headForward(ps, features, false).toFloatArray();
        float[] bias = child(net, 2).getParameters().get("bias").getArray().toFloatArray();
        for (int n = 0; n < classes.length; n++) {
            assertThat(mean[n] + bias[classes[n]]).as("sample %d", n).isCloseTo(logits[n * 3 + classes[n]], within(1e-4f));
        }
    }

    @Test
    void theMeanOfTheMapPlusTheNormsOffsetIsTheLogitOfTheLayerNormHead() {
        int c = 6;
        ClassifierNet net = headOnly(3, c, true, 0.3f);
        Random random = new Random(7);
        Block norm = child(net, 1);
        float[] gamma = random(random, c, 0.5, 1);
        float[] beta = random(random, c, 0.5, 0);
        norm.getParameters().get("gamma").getArray().set(gamma);
        norm.getParameters().get("beta").getArray().set(beta);
        Block linear = child(net, 3);
        float[] w = random(random, 3 * c, 1, 0);
        float[] b = random(random, 3, 1, 0);
        linear.getParameters().get("weight").getArray().set(w);
        linear.getParameters().get("bias").getArray().set(b);
        // features far from zero mean and unit scale, so a missing normalisation would show
        NDArray features = manager.create(random(random, 2 * c * 3 * 4, 2, 1.5), new Shape(2, c, 3, 4));
        float[] logits = net.headForward(ps, features, false).toFloatArray();
        for (int k = 0; k < 3; k++) {
            NDArray classes = manager.create(new int[] {k, k});
            float[] mean = net.classActivationMaps(features, classes).reshape(2, -1).mean(new int[] {1}).toFloatArray();
            double offset = b[k];
            for (int j = 0; j < c; j++) {
                offset += w[k * c + j] * beta[j];
            }
            for (int n = 0; n < 2; n++) {
                assertThat(mean[n] + offset).as("class %d sample %d", k, n).isCloseTo(logits[n * 3 + k], within(1e-4));
            }
        }
    }

    @Test
    void refusesAHeadThatIsNotTheStandardOne() {
        ClassifierNet net = new ClassifierNet(new LambdaBlock(x -> x), new SequentialBlock()
                .add(Linear.builder().setUnits(4).build()).add(Linear.builder().setUnits(2).build()), 1, 3, 2);
        assertThatThrownBy(() -> net.classActivationMaps(manager.zeros(new Shape(1, 3, 2, 2)), manager.create(new int[] {0})))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("standard head");
    }
}
