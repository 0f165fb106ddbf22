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
        int[] size = size(image.width(), image.height(), maxSide);
        BufferedImage out = new BufferedImage(size[0], size[1], BufferedImage.TYPE_BYTE_GRAY);
        byte[] bytes = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        scale(image, size, (i, v) -> bytes[i] = (byte) window.shade(v));
        return write(out);
    }

    /**
     * A heat map in [0, 1] as a PNG overlay of exactly the geometry {@link #png} gives its image at the same
     * {@code maxSide} (the same size, the same area averaging): heat v is drawn red to yellow, {@code (255,
     * round(255 v), 0)}, with opacity {@code round(255 v)}, so where there is no heat the overlay is transparent.
     */
    public static byte[] heatPng(GreyImage heat, int maxSide) {
        int[] size = size(heat.width(), heat.height(), maxSide);
        BufferedImage out = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_ARGB);
        int[] argb = ((java.awt.image.DataBufferInt) out.getRaster().getDataBuffer()).getData();
        scale(heat, size, (i, value) -> {
            int v = (int) Math.round(Math.max(0, Math.min(1, value)) * 255);
            argb[i] = v << 24 | 255 << 16 | v << 8;
        });
        return write(out);
    }

    /** The size {@link #png} renders {@code width x height} at, its longer side {@code maxSide}. */
    static int[] size(int width, int height, int maxSide) {
        double scale = (double) maxSide / Math.max(width, height);
        return new int[] {Math.max(1, (int) Math.round(width * scale)), Math.max(1, (int) Math.round(height * scale))};
    }

    /** Takes the value of output pixel {@code index} (row-major). */
    private interface Sink {
        void put(int index, double value);
    }

    /** Area average when shrinking, nearest pixel when enlarging, to {@code size}; each output pixel to {@code sink}. */
    private static void scale(GreyImage image, int[] size, Sink sink) {
        int width = size[0];
        int height = size[1];
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
                sink.put(oy * width + ox, sum / ((y1 - y0) * (x1 - x0)));
            }
        }
    }

    private static byte[] write(BufferedImage image) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return png.toByteArray();
    }
}
