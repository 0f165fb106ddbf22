package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.NoGrad;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The teacher's features with the all-black views taken out of its batch and filled in from one
 * pass per stage equal the features of the whole batch in one pass, and the teacher really ran on
 * fewer views (the saving is real, not only claimed).
 */
class TeacherPassTest {
    private static final int SIZE = 64;
    private static final int PER = SIZE * SIZE;

    @Test
    void blackViewsShareOneComputedFeatureMapAndTheRestMatchTheBatchedPass() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            ClassifierNet teacher = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, SIZE);
            ParameterStore store = new ParameterStore(manager, false);
            float black = -2f; // what the preprocessing makes of a black pixel (mean 0.5, std 0.25)
            Random random = new Random(3);
            float[] roi = new float[5 * PER];
            boolean[] blank = {false, true, false, true, false};
            for (int i = 0; i < 5; i++) {
                for (int p = 0; p < PER; p++) {
                    roi[i * PER + p] = blank[i] ? black : (float) random.nextGaussian();
                }
            }
            Shape shape = new Shape(5, 1, SIZE, SIZE);
            TeacherPass pass = new TeacherPass(teacher, store);
            try (NDManager batch = manager.newSubManager()) {
                float[] expected;
                try (NoGrad ignored = NoGrad.start()) {
                    expected = teacher.features(store, batch.create(roi, shape), false).toFloatArray();
                }
                NDArray mixed = pass.features(batch, roi, blank, shape);
                assertThat(mixed.getShape().get(0)).isEqualTo(5);
                float[] got = mixed.toFloatArray();
                assertThat(got).hasSameSizeAs(expected);
                int per = got.length / 5;
                for (int i = 0; i < got.length; i++) {
                    assertThat(got[i]).as("value %d (view %d)", i, i / per).isCloseTo(expected[i], within(1e-4f));
                }
                // the two black views got the same map, and it is not the map of a shown view
                for (int j = 0; j < per; j++) {
                    assertThat(got[per + j]).isEqualTo(got[3 * per + j]);
                }
                assertThat(got[per + 1]).isNotEqualTo(got[1]);

                // a batch of black views only: no pass at all, the cached map repeated
                boolean[] allBlank = {true, true};
                float[] two = new float[2 * PER];
                java.util.Arrays.fill(two, black);
                float[] cached = pass.features(batch, two, allBlank, new Shape(2, 1, SIZE, SIZE)).toFloatArray();
                for (int j = 0; j < per; j++) {
                    assertThat(cached[j]).isEqualTo(got[per + j]);
                    assertThat(cached[per + j]).isEqualTo(got[per + j]);
                }
                // views with a region throughout: the plain batched pass
                float[] shownOnly = pass.features(batch, roi, new boolean[5], shape).toFloatArray();
                assertThat(shownOnly).containsExactly(expected);
            }
            // 3 of 5, then 0 of 2, then 5 of 5 views went through the teacher
            assertThat(pass.forwardedShare()).isCloseTo(8.0 / 12, within(1e-12));
        }
    }
}
