package io.pneuknow.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * NT-Xent against hand-derived values and a float64 numpy reference
 * ({@code z = normalise(concat(z1, z2)); s = z z^T / t; s_ii = -inf;
 * loss_i = logsumexp(s_i) - s_{i,(i+N) mod 2N}}).
 */
class NtXentTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private NDArray rows(float[][] values) {
        float[] flat = new float[values.length * values[0].length];
        for (int i = 0; i < values.length; i++) {
            System.arraycopy(values[i], 0, flat, i * values[0].length, values[0].length);
        }
        return manager.create(flat, new Shape(values.length, values[0].length));
    }

    @Test
    void orthogonalPairsGiveTheClosedForm() {
        // two images, views identical, images orthogonal: each view sees its partner at 1/t and two
        // negatives at 0, so loss = -log(e^{1/t} / (e^{1/t} + 2)) = log(1 + 2 e^{-1/t})
        NDArray e = rows(new float[][] {{1, 0}, {0, 1}});
        float loss = NtXent.loss(e, e, 0.5f).getFloat();
        assertThat((double) loss).isCloseTo(Math.log(1 + 2 * Math.exp(-2)), within(1e-6));
        assertThat(loss).isCloseTo(0.23954477f, within(1e-6f));
        // scaling an embedding does not matter (cosine similarity)
        NDArray scaled = rows(new float[][] {{3, 0}, {0, 0.5f}});
        assertThat(NtXent.loss(scaled, e, 0.5f).getFloat()).isCloseTo(loss, within(1e-6f));
    }

    @Test
    void oneImageHasNoNegativesAndZeroLoss() {
        NDArray a = rows(new float[][] {{1, 2, 3}});
        NDArray b = rows(new float[][] {{-1, 0, 2}});
        assertThat(NtXent.loss(a, b, 0.1f).getFloat()).isCloseTo(0f, within(1e-6f));
    }

    @Test
    void matchesTheNumpyReference() {
        NDArray z1 = rows(new float[][] {{1.0f, 2.0f, 0.5f}, {-0.3f, 0.8f, 1.2f}, {0.0f, -1.0f, 0.4f}});
        NDArray z2 = rows(new float[][] {{0.9f, 2.2f, 0.1f}, {0.5f, 0.5f, -1.0f}, {0.2f, -0.7f, 0.9f}});
        assertThat(NtXent.loss(z1, z2, 0.5f).getFloat()).isCloseTo(1.29675333f, within(1e-5f));
        assertThat(NtXent.loss(z1, z2, 0.2f).getFloat()).isCloseTo(1.99420759f, within(1e-5f));
        float[] perView = NtXent.perView(z1, z2, 0.2f).toFloatArray();
        float[] expected = {0.15637738f, 6.06419779f, 0.0062306f, 0.15132167f, 5.52881804f, 0.05830007f};
        for (int i = 0; i < expected.length; i++) {
            assertThat(perView[i]).as("view %d", i).isCloseTo(expected[i], within(1e-4f));
        }
        // views 1 and 4 (image 1) have a closer negative than their partner
        assertThat(NtXent.positiveTop1(z1, z2)).isCloseTo(4.0 / 6.0, within(1e-9));
    }

    @Test
    void randomEmbeddingsGiveAboutLogOfTheCandidates() {
        manager.getEngine().setRandomSeed(3);
        NDArray a = manager.randomNormal(new Shape(64, 128));
        NDArray b = manager.randomNormal(new Shape(64, 128));
        // 127 candidates per view, similarities near 0 at t = 1
        assertThat(NtXent.loss(a, b, 1f).getFloat()).isCloseTo((float) Math.log(127), within(0.05f));
    }
}
