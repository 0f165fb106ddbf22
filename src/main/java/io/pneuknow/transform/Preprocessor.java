package io.pneuknow.transform;

import io.pneuknow.image.GreyImage;
import java.util.Arrays;

/**
 * Turns a grey image into the network's input tensor: resize to {@code inputSize x inputSize} (aspect
 * not kept, as in the reference), then CHW floats {@code (x - mean[c]) / std[c]}, grey replicated to
 * every channel. Stored in model.json and shared by training, evaluation and serving, so it is a plain
 * record (arrays of length {@code channels}).
 */
public record Preprocessor(int inputSize, int channels, float[] mean, float[] std) {
    /** The reference's input side (224 px). */
    public static final int DEFAULT_INPUT_SIZE = 224;
    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    public Preprocessor {
        if (inputSize <= 0) {
            throw new IllegalArgumentException("inputSize must be positive: " + inputSize);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        }
        if (mean == null || std == null || mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("mean and std need " + channels + " values each");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Defaults for {@code channels}: 224 px; 1 channel mean 0.5 std 0.25; 3 channels ImageNet mean/std. */
    public static Preprocessor defaults(int channels) {
        return defaults(DEFAULT_INPUT_SIZE, channels);
    }

    /** Defaults for {@code channels} at the given input size. */
    public static Preprocessor defaults(int inputSize, int channels) {
        if (channels == 1) {
            return new Preprocessor(inputSize, 1, new float[] {0.5f}, new float[] {0.25f});
        }
        return new Preprocessor(inputSize, channels, IMAGENET_MEAN, IMAGENET_STD);
    }

    /** The raw image resized to {@code inputSize x inputSize} (area when shrinking, linear when enlarging). */
    public GreyImage prepare(GreyImage raw) {
        return Resize.to(raw, inputSize, inputSize);
    }

    /** The mask resized to {@code inputSize x inputSize}, strictly 0/1. */
    public GreyImage prepareMask(GreyImage mask) {
        return Resize.maskTo(mask, inputSize, inputSize);
    }

    /** CHW floats of length {@code channels * inputSize * inputSize}, normalised per channel. */
    public float[] toTensor(GreyImage image) {
        if (image.width() != inputSize || image.height() != inputSize) {
            throw new IllegalArgumentException("image is " + image.width() + "x" + image.height()
                    + ", expected " + inputSize + "x" + inputSize + " (call prepare first)");
        }
        float[] pixels = image.pixels();
        int plane = pixels.length;
        float[] tensor = new float[channels * plane];
        for (int c = 0; c < channels; c++) {
            float m = mean[c];
            float s = std[c];
            int offset = c * plane;
            for (int i = 0; i < plane; i++) {
                tensor[offset + i] = (pixels[i] - m) / s;
            }
        }
        return tensor;
    }

    /** A copy of the per-channel mean. */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** A copy of the per-channel standard deviation. */
    @Override
    public float[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessor p && p.inputSize == inputSize && p.channels == channels
                && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * inputSize + channels) + Arrays.hashCode(mean)) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Preprocessor[inputSize=" + inputSize + ", channels=" + channels + ", mean="
                + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
