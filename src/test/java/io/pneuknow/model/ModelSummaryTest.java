package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.pneuknow.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Multiply-add counting ({@link Architectures#multiplyAdds}) and {@code pneuknow models}. */
class ModelSummaryTest {

    @Test
    void tinyCnnMultiplyAddsByHand() {
        // conv3x3/2 layers on 32 px, 1 channel: out elements x in channels x 9; then linear 128 -> 2
        long expected = 16L * 16 * 16 * 1 * 9 // 32 -> 16
                + 32L * 8 * 8 * 16 * 9 // 16 -> 8
                + 64L * 4 * 4 * 32 * 9 // 8 -> 4
                + 64L * 2 * 2 * 64 * 9 // 4 -> 2
                + 128L * 1 * 1 * 64 * 9 // 2 -> 1
                + 128L * 2; // linear
        Architectures.Summary s = Architectures.summarize(Architecture.tiny_cnn, 2, 1, 32);
        assertThat(s.multiplyAdds()).isEqualTo(expected).isEqualTo(848_128L);
        assertThat(s.featureMap()).isEqualTo(new Shape(1, 128, 1, 1));
        assertThat(s.parameters()).isEqualTo(9L * (16 + 512 + 2048 + 4096 + 8192) + 2 * 304 + 258);
    }

    @Test
    void convNeXtBlockCountsDepthwiseAndChannelsLastLinearLayers() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ConvNeXtBlock block = new ConvNeXtBlock(8, 0f);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 8, 4, 4));
            // depthwise 7x7: 16 px x 8 ch x 49; expand 8 -> 32 and project 32 -> 8 at 16 px each
            assertThat(Architectures.multiplyAdds(block)).isEqualTo(16L * 8 * 49 + 16L * 8 * 32 + 16L * 32 * 8);
        }
    }

    @Test
    void stridedShortcutIsCountedAtItsOutputSize() {
        // resnet18_half at 32 px: the count must not depend on how the strided 1x1 shortcut is computed
        long a = Architectures.summarize(Architecture.resnet18_half, 2, 1, 32).multiplyAdds();
        long b = Architectures.summarize(Architecture.resnet18_half, 2, 1, 64).multiplyAdds();
        assertThat(b - 256L * 2).isEqualTo(4 * (a - 256L * 2)); // convs scale with the pixel count, linear 256 -> 2 does not
    }

    @Test
    void modelsCommandListsArchitectures() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), "models", "--input-size", "64",
                "--architecture", "tiny_cnn,convnext_micro");
        assertThat(rc).as(err.toString()).isZero();
        String text = out.toString();
        assertThat(text).contains("input 1 x 64 x 64, 1000 classes");
        // tiny_cnn, 1 channel, 1000 classes: convs 9 x 14864, BN 2 x 304, linear 128 x 1000 + 1000
        assertThat(text).containsPattern("tiny_cnn +263,384 +128 x 2 x 2 +3\\.5 M");
        assertThat(text).containsPattern("convnext_micro +[0-9,]+ +384 x 2 x 2 ");
        assertThat(text).doesNotContain("resnet50");

        StringWriter err2 = new StringWriter();
        assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err2), "models", "--input-size", "48"))
                .isEqualTo(1);
        assertThat(err2.toString()).contains("multiple of 32");
        StringWriter err3 = new StringWriter();
        assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err3), "models", "--architecture", "vgg"))
                .isEqualTo(1);
        assertThat(err3.toString()).contains("unknown architecture 'vgg'");
    }
}
