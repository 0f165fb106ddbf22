package io.pneuknow.explain;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.transform.Preprocessor;

/**
 * Class activation maps of a {@link ClassifierNet} for raw images, preprocessed as the model was
 * trained (the {@link Preprocessor} stored in its card), at the raw image's size in [0, 1]: one
 * object for a model that combines the three parts, each in a file of its own, {@link GradCam}
 * (Selvaraju et al. 2017), {@link Cam} (Zhou et al. 2016, only for pooling + linear heads) and
 * {@link CellPlacement} (where a feature cell lies on the image, and the map drawn there).
 *
 * <p>Everything runs in inference mode (BatchNorm running statistics, no dropout); the net is not
 * changed, but the backward pass may leave gradients in parameters that require them (a training step
 * zeroes them first). Not thread-safe (one gradient tape per engine at a time): one instance per
 * thread, and not while the same engine is training.
 */
public final class HeatMaps {
    private final FeatureMaps maps;
    private final GradCam gradCam;
    private final Cam cam;
    private final CellPlacement placement;

    /** For a model loaded with {@link ModelBundle#load}: its net, its preprocessing and its manager. */
    public HeatMaps(ModelBundle.Loaded model) {
        this(model.net(), model.card().preprocessing(), model.manager());
    }

    /**
     * For an initialised net, the preprocessing it expects and the manager holding its parameters
     * (temporary arrays go to sub-managers of it, closed after each call).
     */
    public HeatMaps(ClassifierNet net, Preprocessor preprocessor, NDManager manager) {
        this.maps = new FeatureMaps(net, preprocessor, manager);
        this.gradCam = new GradCam(maps);
        this.cam = new Cam(maps);
        this.placement = new CellPlacement(maps);
    }

    /** Whether {@link #cam} is available: the head is global pooling, dropout and linear only (no LayerNorm). */
    public boolean camIsExact() {
        return cam.isExact();
    }

    /** Number of children of a sequential backbone (valid stages for {@link #gradCam(GreyImage, int, int)} are 1..this). */
    public int backboneStages() {
        return maps.backboneStages();
    }

    /** Grad-CAM on the last feature map, at the raw image's size, in [0, 1]. */
    public GreyImage gradCam(GreyImage raw, int classIndex) {
        return toImage(rawGradCam(raw, classIndex), backboneStages(), raw.width(), raw.height());
    }

    /**
     * Grad-CAM on the output of backbone child {@code stage - 1} (children 0..stage-1 run first, the
     * rest of the backbone and the head under the tape), at the raw image's size, in [0, 1]. Needs a
     * {@link SequentialBlock} backbone (all of ours); {@code stage == backboneStages()} is {@link #gradCam}.
     * For tiny_cnn the children are conv, BN, ReLU per stage, so 3, 6, 9, 12, 15 end the five stages.
     */
    public GreyImage gradCam(GreyImage raw, int classIndex, int stage) {
        return toImage(rawGradCam(raw, classIndex, stage), stage, raw.width(), raw.height());
    }

    /** CAM at the raw image's size, in [0, 1]; only when {@link #camIsExact()}. */
    public GreyImage cam(GreyImage raw, int classIndex) {
        return toImage(rawCam(raw, classIndex), backboneStages(), raw.width(), raw.height());
    }

    /** {@link CellPlacement#toImage}: a stage's feature-resolution map as a heat map at {@code width x height}. */
    public GreyImage toImage(float[][] map, int stage, int width, int height) {
        return placement.toImage(map, stage, width, height);
    }

    /** {@link CellPlacement#cellCentres}: where a stage's cells have their full value along an axis of n pixels. */
    public double[] cellCentres(int stage, int n, int cells) {
        return placement.cellCentres(stage, n, cells);
    }

    /** {@link CellPlacement#geometry}: where the cells of a backbone stage sit on the network input. */
    public CellGeometry geometry(int stage) {
        return placement.geometry(stage);
    }

    /** Grad-CAM at feature resolution, [h][w], signed (before ReLU and normalisation). */
    public float[][] rawGradCam(GreyImage raw, int classIndex) {
        return rawGradCam(raw, classIndex, backboneStages());
    }

    /** {@link GradCam#raw}: Grad-CAM at the resolution of backbone child {@code stage - 1}'s output, signed. */
    public float[][] rawGradCam(GreyImage raw, int classIndex, int stage) {
        return gradCam.raw(raw, classIndex, stage);
    }

    /** {@link Cam#raw}: CAM at feature resolution, [h][w], signed, without the bias. */
    public float[][] rawCam(GreyImage raw, int classIndex) {
        return cam.raw(raw, classIndex);
    }

    /** {@link CellPlacement#alignedToImage}: plain aligned upsampling of a feature-resolution map. */
    public static GreyImage toImage(float[][] map, int width, int height) {
        return CellPlacement.alignedToImage(map, width, height);
    }
}
