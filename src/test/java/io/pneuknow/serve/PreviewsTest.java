package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PreviewsTest {
    @Test
    void aLargeImageShrinksToFiveHundredTwelveOnItsLongerSide() {
        GreyImage wide = GreyImage.blank(1000, 400);

        GreyImage preview = Previews.previewOf(wide);

        // scale 512 / 1000 = 0.512: 400 x 0.512 = 204.8, rounded to 205
        assertThat(preview.width()).isEqualTo(512);
        assertThat(preview.height()).isEqualTo(205);
    }

    @Test
    void aSmallImageIsItsOwnPreview() {
        GreyImage small = GreyImage.blank(300, 500);

        assertThat(Previews.previewOf(small)).isSameAs(small);
    }

    @Test
    void theDataUrlIsAGreyPngWithValuesClippedToZeroAndOne() throws Exception {
        GreyImage image = new GreyImage(3, 1, new float[] {-0.5f, 0.5f, 1.5f});

        String url = Previews.dataUrl(image);

        assertThat(url).startsWith("data:image/png;base64,");
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(
                Base64.getDecoder().decode(url.substring("data:image/png;base64,".length()))));
        assertThat(png.getWidth()).isEqualTo(3);
        assertThat(png.getHeight()).isEqualTo(1);
        // 0.5 x 255 = 127.5, rounded to 128
        assertThat(png.getRaster().getSample(0, 0, 0)).isZero();
        assertThat(png.getRaster().getSample(1, 0, 0)).isEqualTo(128);
        assertThat(png.getRaster().getSample(2, 0, 0)).isEqualTo(255);
    }
}
