package io.pneuknow.serve;

import io.pneuknow.image.GreyImage;
import io.pneuknow.transform.Resize;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/** The pictures of a JSON explain answer: the decoded image made small (browsers cannot show DICOM), as grey PNG data URLs. */
final class Previews {
    /** The longer side of a preview, in pixels. */
    static final int PREVIEW_SIDE = 512;

    private Previews() {
    }

    /** The decoded image at most {@link #PREVIEW_SIDE} px on its longer side. */
    static GreyImage previewOf(GreyImage image) {
        double scale = Math.min(1.0, (double) PREVIEW_SIDE / Math.max(image.width(), image.height()));
        int w = Math.max(1, (int) Math.round(image.width() * scale));
        int h = Math.max(1, (int) Math.round(image.height() * scale));
        return scale < 1 ? Resize.to(image, w, h) : image;
    }

    /** An image with values in [0, 1] as a grey PNG data URL. */
    static String dataUrl(GreyImage small) {
        BufferedImage grey = new BufferedImage(small.width(), small.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = ((DataBufferByte) grey.getRaster().getDataBuffer()).getData();
        float[] v = small.pixels();
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) Math.round(Math.min(1f, Math.max(0f, v[i])) * 255);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(grey, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
    }
}
