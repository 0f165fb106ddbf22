package io.pneuknow.image;

/**
 * A single-channel image, row-major, values in [0, 1]. Floats keep the full precision of 16-bit
 * sources until normalisation. Also used for ROI masks (0 outside, 1 inside).
 */
public record GreyImage(int width, int height, float[] pixels) {
    public GreyImage {
        if (pixels.length != width * height) {
            throw new IllegalArgumentException("pixels " + pixels.length + " != " + width + "x" + height);
        }
    }

    public static GreyImage blank(int width, int height) {
        return new GreyImage(width, height, new float[width * height]);
    }

    public float get(int x, int y) {
        return pixels[y * width + x];
    }
}
