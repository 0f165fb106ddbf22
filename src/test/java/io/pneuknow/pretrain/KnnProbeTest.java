package io.pneuknow.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class KnnProbeTest {
    @Test
    void neighboursComeFromOtherFoldsOnly() {
        // two tight clusters (class 0 near +x, class 1 near +y); 2 folds
        float[][] features = {{10, 0.1f}, {10, -0.1f}, {0.1f, 10}, {-0.1f, 10}, {9, 0.2f}, {0.2f, 9}};
        int[] labels = {0, 0, 1, 1, 0, 1};
        int[] fold = {0, 1, 0, 1, 0, 1};
        assertThat(KnnProbe.predict(features, labels, fold, 2, 1)).containsExactly(0, 0, 1, 1, 0, 1);
        // an image alone in its fold among other-class references is misclassified: it never sees itself
        int[] lonely = {0, 1, 1, 1, 1, 1};
        assertThat(KnnProbe.predict(features, new int[] {0, 1, 1, 1, 1, 1}, lonely, 2, 1)[0]).isEqualTo(1);
    }

    @Test
    void balancedAccuracyIsTheMeanRecall() {
        // class 0: 3 of 4 right; class 1: 0 of 1
        KnnProbe.Result r = KnnProbe.score(new int[] {0, 0, 0, 1, 0}, new int[] {0, 0, 0, 0, 1}, List.of("a", "b"), 5, 3);
        assertThat(r.accuracy()).isCloseTo(0.6, within(1e-12));
        assertThat(r.balancedAccuracy()).isCloseTo(0.375, within(1e-12));
    }
}
