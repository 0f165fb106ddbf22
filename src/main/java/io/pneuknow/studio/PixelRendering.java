package io.pneuknow.studio;

import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Turns an image's grey values into the 8-bit PNG the browser shows: scaled so its longer side is at most the
 * requested size (area average when shrinking, nearest pixel when enlarging), then windowed. The window is in the
 * image's grey units [0, 1] (after a DICOM file's rescale and VOI window, {@link io.pneuknow.image.ImageFiles#read}):
 * a value v shows as {@code round(clamp((v - (centre - width / 2)) / width, 0, 1) * 255)}; centre 0.5, width 1 shows
 * the values as they are. The PNG carries pixels only: no metadata, so nothing of a DICOM header.
 */
public final class PixelRendering {
    private PixelRendering() {
    }

    /**
     * The window (level) of a rendering, in grey units.
     *
     * @param centre the grey value shown as middle grey
     * @param width the span of grey values from black to white (above 0)
     */
    public record Window(double centre, double width) {
        /** The window that shows values as they are. */
        public static final Window FULL = new Window(0.5, 1.0);

        public Window {
            if (!(width > 0) || !Double.isFinite(centre) || !Double.isFinite(width)) {
                throw new IllegalArgumentException("the window width must be a number above 0 and the centre a number, got "
                        + "centre " + centre + ", width " + width);
            }
        }

        /** The 8-bit shade of grey value {@code v}. */
        int shade(double v) {
            double t = (v - (centre - width / 2)) / width;
            return (int) Math.round(Math.max(0, Math.min(1, t)) * 255);
        }
    }

    /** {@code image} with its longer side {@code maxSide} pixels, windowed, as PNG bytes. */
    public static byte[] png(GreyImage image, int maxSide, Window window) {
        double scale = (double) maxSide / Math.max(image.width(), image.height());
        int width = Math.max(1, (int) Math.round(image.width() * scale));
        int height = Math.max(1, (int) Math.round(image.height() * scale));
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] bytes = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        for (int oy = 0; oy < height; oy++) {
            int y0 = (int) ((long) oy * image.height() / height);
            int y1 = Math.max(y0 + 1, (int) ((long) (oy + 1) * image.height() / height));
            for (int ox = 0; ox < width; ox++) {
                int x0 = (int) ((long) ox * image.width() / width);
                int x1 = Math.max(x0 + 1, (int) ((long) (ox + 1) * image.width() / width));
                double sum = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        sum += image.get(x, y);
                    }
                }
                bytes[oy * width + ox] = (byte) window.shade(sum / ((y1 - y0) * (x1 - x0)));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(out, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return png.toByteArray();
    }
}
