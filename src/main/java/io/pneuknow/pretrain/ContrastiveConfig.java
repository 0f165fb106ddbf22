package io.pneuknow.pretrain;

import io.pneuknow.BadInputException;
import io.pneuknow.model.Architecture;

/**
 * The settings of contrastive pretraining.
 *
 * @param architecture the backbone's architecture (command-line name)
 * @param inputSize side of the views in pixels, a multiple of 32
 * @param channels input channels, 1 or 3 (grey replicated)
 * @param epochs passes over the images
 * @param batchSize images per step (2 x batchSize views); the last partial batch of an epoch is dropped
 * @param learningRate Adam's learning rate, cosine-annealed per epoch
 * @param temperature NT-Xent temperature
 * @param projectionDim output width of the projection head (its hidden width is the backbone's feature width)
 * @param minCropArea smallest random crop as a share of the image area
 * @param seed seeds initialisation, shuffling and every view
 * @param threads engine threads (0: all cores)
 * @param loaderThreads threads making the views of the next batch
 */
public record ContrastiveConfig(String architecture, int inputSize, int channels, int epochs, int batchSize,
                                float learningRate, float temperature, int projectionDim, double minCropArea,
                                long seed, int threads, int loaderThreads) {

    /** resnet18_half at 128 px, 1 channel, 20 epochs, batch 64, lr 1e-3, t 0.2, projection 128, crops from 35 %. */
    public static ContrastiveConfig defaults() {
        return new ContrastiveConfig("resnet18_half", 128, 1, 20, 64, 1e-3f, 0.2f, 128,
                ContrastiveViews.DEFAULT_MIN_CROP_AREA, 42, 0, 1);
    }

    /** The side images are decoded and resized to once, before cropping: 1.25 x the input size. */
    public int preparedSize() {
        return (int) Math.round(inputSize * 1.25);
    }

    /** Checks every value; all problems in one exception. */
    public ContrastiveConfig validated() {
        StringBuilder problems = new StringBuilder();
        try {
            Architecture.fromCliName(architecture);
        } catch (IllegalArgumentException e) {
            problems.append("pretraining setting: ").append(e.getMessage()).append('\n');
        }
        check(problems, inputSize >= 32 && inputSize % 32 == 0, "input size " + inputSize + " must be a positive multiple of 32, e.g. 128");
        check(problems, channels == 1 || channels == 3, "channels " + channels + " must be 1 or 3");
        check(problems, epochs >= 1, "epochs " + epochs + " must be at least 1");
        check(problems, batchSize >= 2, "batch size " + batchSize + " must be at least 2 (each image needs other images as negatives)");
        check(problems, learningRate > 0, "learning rate " + learningRate + " must be positive");
        check(problems, temperature > 0, "temperature " + temperature + " must be positive, e.g. 0.2");
        check(problems, projectionDim >= 1, "projection dim " + projectionDim + " must be at least 1");
        check(problems, minCropArea > 0 && minCropArea <= 1, "min crop area " + minCropArea + " must be in (0, 1]");
        check(problems, threads >= 0, "threads " + threads + " must be 0 (all cores) or more");
        check(problems, loaderThreads >= 1, "loader threads " + loaderThreads + " must be at least 1");
        if (!problems.isEmpty()) {
            throw new BadInputException(problems.toString().strip());
        }
        return this;
    }

    private static void check(StringBuilder problems, boolean ok, String message) {
        if (!ok) {
            problems.append("pretraining setting: ").append(message).append('\n');
        }
    }
}
