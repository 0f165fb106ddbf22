package io.pneuknow.image;

/**
 * A single-channel image, row-major, values in [0, 1]. Floats keep the full precision of 16-bit
 * sources until normalisation. Also used for ROI masks (0 outside, 1 inside).
 */
public record GreyImage(int width, int height, float[] pixels) {
    private static final double RED = 0.299;
    private static final double GREEN = 0.587;
    private static final double BLUE = 0.114;

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

    /**
     * Luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601) in the samples' own units: how every colour
     * image (PNG, JPEG, colour DICOM) becomes grey.
     */
    public static double luminance(int red, int green, int blue) {
        return RED * red + GREEN * green + BLUE * blue;
    }
}
