package io.pneuknow.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pneuknow.image.GreyImage;
import org.junit.jupiter.api.Test;

class PreprocessorTest {
    @Test
    void defaults() {
        Preprocessor one = Preprocessor.defaults(1);
        assertThat(one.inputSize()).isEqualTo(224);
        assertThat(one.mean()).containsExactly(0.5f);
        assertThat(one.std()).containsExactly(0.25f);
        Preprocessor three = Preprocessor.defaults(3);
        assertThat(three.mean()).containsExactly(0.485f, 0.456f, 0.406f);
        assertThat(three.std()).containsExactly(0.229f, 0.224f, 0.225f);
    }

    @Test
    void oneChannelNormalisation() {
        Preprocessor pre = new Preprocessor(2, 1, new float[] {0.5f}, new float[] {0.25f});
        float[] t = pre.toTensor(new GreyImage(2, 2, new float[] {0f, 0.25f, 0.5f, 1f}));
        assertThat(t).containsExactly(new float[] {-2f, -1f, 0f, 2f}, within(1e-6f));
    }

    @Test
    void threeChannelsReplicateGreyWithPerChannelStats() {
        Preprocessor pre = Preprocessor.defaults(2, 3);
        float[] pixels = {0f, 0.3f, 0.6f, 1f};
        float[] t = pre.toTensor(new GreyImage(2, 2, pixels));
        assertThat(t).hasSize(12);
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 4; i++) {
                assertThat(t[c * 4 + i]).as("c%d i%d", c, i).isCloseTo((pixels[i] - mean[c]) / std[c], within(1e-6f));
            }
        }
        assertThat(t[4]).isCloseTo(-0.456f / 0.224f, within(1e-5f));
    }

    @Test
    void prepareResizesWithoutKeepingAspect() {
        GreyImage raw = new GreyImage(300, 100, new float[300 * 100]);
        GreyImage prepared = Preprocessor.defaults(3).prepare(raw);
        assertThat(prepared.width()).isEqualTo(224);
        assertThat(prepared.height()).isEqualTo(224);
    }

    @Test
    void sixteenBitPrecisionReachesTheTensor() {
        Preprocessor pre = new Preprocessor(16, 1, new float[] {0.5f}, new float[] {0.25f});
        float[] p = new float[256];
        for (int k = 0; k < p.length; k++) {
            p[k] = (30000 + k) / 65535f; // 256 levels spanning about one 8-bit step
        }
        GreyImage image = new GreyImage(16, 16, p);
        float[] t = pre.toTensor(pre.prepare(image));
        for (int k = 0; k < p.length; k++) {
            assertThat(t[k]).isCloseTo(((30000 + k) / 65535f - 0.5f) / 0.25f, within(1e-6f));
        }
        for (int k = 1; k < p.length; k++) {
            assertThat(t[k]).isGreaterThan(t[k - 1]); // every 16-bit step is kept
        }
    }

    @Test
    void rejectsWrongSizeAndBadSettings() {
        Preprocessor pre = Preprocessor.defaults(1);
        assertThatThrownBy(() -> pre.toTensor(GreyImage.blank(10, 10))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("224");
        assertThatThrownBy(() -> new Preprocessor(224, 2, new float[2], new float[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Preprocessor(224, 3, new float[1], new float[1]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonRoundTrip() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        Preprocessor pre = Preprocessor.defaults(3);
        String json = mapper.writeValueAsString(pre);
        assertThat(json).contains("\"inputSize\":224").contains("\"channels\":3").contains("\"mean\":[0.485,0.456,0.406]");
        assertThat(mapper.readValue(json, Preprocessor.class)).isEqualTo(pre);
    }
}
