package io.pneuknow.explain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.pneuknow.data.GreyImage;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.transform.Resize;
import java.util.List;

/**
 * Class activation maps of a {@link ClassifierNet} for raw images, preprocessed as the model was
 * trained (the {@link Preprocessor} stored in its card).
 *
 * <ul>
 *   <li><b>Grad-CAM</b> (Selvaraju et al. 2017): the feature map A (from the backbone, or from an earlier
 *       child of a sequential backbone) is detached and made a leaf that requires a gradient, the rest of
 *       the net runs under a gradient tape, and the map is {@code sum_k alpha_k A_k} with
 *       {@code alpha_k} the spatial mean of d logit[class] / d A_k. (DJL returns zeros, silently, for the
 *       gradient of a non-leaf activation, hence the detach.)</li>
 *   <li><b>CAM</b> (Zhou et al. 2016): {@code sum_k w[class, k] A_k} with w the final Linear layer's
 *       weight. With a head of global average pooling (+ dropout) + linear it equals Grad-CAM times
 *       {@code h * w}. With a LayerNorm in the head (ConvNeXt) it is not the model's evidence, so
 *       {@link #cam} refuses such heads ({@link #camIsExact()} is false): use {@link #gradCam}.</li>
 * </ul>
 *
 * <p>The public maps are at the raw image's size: ReLU, divided by the maximum, upsampled bilinearly
 * (OpenCV, pixel centres aligned), divided by the maximum again, so values are in [0, 1] with max 1; a
 * map with no positive value stays all zero. The aligned upsampling draws cell j of a map at stride s
 * around the middle of the block [s j, s j + s); in nets whose stride-2 convolutions are padded to keep
 * the size (tiny_cnn, checked in HeatMapMechanismTest, and by the same arithmetic the ResNets) the
 * cell's receptive field is centred on input pixel s j, so these maps sit (s - 1) / 2 input pixels
 * right of and below the evidence (15.5 for the last map at stride 32): where that matters, use the raw
 * maps with the cells' true centres. Everything runs in inference mode (BatchNorm running
 * statistics, no dropout); the net is not changed, but the backward pass may leave gradients in
 * parameters that require them (a training step zeroes them first). Not thread-safe (one gradient tape
 * per engine at a time): one instance per thread, and not while the same engine is training.
 */
public final class HeatMaps {
    private final ClassifierNet net;
    private final Preprocessor preprocessor;
    private final NDManager manager;
    private final boolean camIsExact;

    /** For a model loaded with {@link ModelBundle#load}: its net, its preprocessing and its manager. */
    public HeatMaps(ModelBundle.Loaded model) {
        this(model.net(), model.card().preprocessing(), model.manager());
    }

    /**
     * For an initialised net, the preprocessing it expects and the manager holding its parameters
     * (temporary arrays go to sub-managers of it, closed after each call).
     */
    public HeatMaps(ClassifierNet net, Preprocessor preprocessor, NDManager manager) {
        if (preprocessor.channels() != net.inChannels()) {
            throw new IllegalArgumentException("preprocessor gives " + preprocessor.channels()
                    + " channels, the net takes " + net.inChannels());
        }
        this.net = net;
        this.preprocessor = preprocessor;
        this.manager = manager;
        this.camIsExact = headIsPoolDropoutLinear(net.head());
    }

    /** Whether {@link #cam} is available: the head is global pooling, dropout and linear only (no LayerNorm). */
    public boolean camIsExact() {
        return camIsExact;
    }

    /** Number of children of a sequential backbone (valid stages for {@link #gradCam(GreyImage, int, int)} are 1..this). */
    public int backboneStages() {
        return net.backbone() instanceof SequentialBlock s ? s.getChildren().size() : 1;
    }

    /** Grad-CAM on the last feature map, at the raw image's size, in [0, 1]. */
    public GreyImage gradCam(GreyImage raw, int classIndex) {
        return toImage(rawGradCam(raw, classIndex), raw.width(), raw.height());
    }

    /**
     * Grad-CAM on the output of backbone child {@code stage - 1} (children 0..stage-1 run first, the
     * rest of the backbone and the head under the tape), at the raw image's size, in [0, 1]. Needs a
     * {@link SequentialBlock} backbone (all of ours); {@code stage == backboneStages()} is {@link #gradCam}.
     * For tiny_cnn the children are conv, BN, ReLU per stage, so 3, 6, 9, 12, 15 end the five stages.
     */
    public GreyImage gradCam(GreyImage raw, int classIndex, int stage) {
        return toImage(rawGradCam(raw, classIndex, stage), raw.width(), raw.height());
    }

    /** CAM at the raw image's size, in [0, 1]; only when {@link #camIsExact()}. */
    public GreyImage cam(GreyImage raw, int classIndex) {
        return toImage(rawCam(raw, classIndex), raw.width(), raw.height());
    }

    /** Grad-CAM at feature resolution, [h][w], signed (before ReLU and normalisation). */
    public float[][] rawGradCam(GreyImage raw, int classIndex) {
        return rawGradCam(raw, classIndex, backboneStages());
    }

    /** Grad-CAM at the resolution of backbone child {@code stage - 1}'s output, [h][w], signed. */
    public float[][] rawGradCam(GreyImage raw, int classIndex, int stage) {
        checkClass(classIndex);
        int stages = backboneStages();
        if (stage < 1 || stage > stages) {
            throw new IllegalArgumentException("stage " + stage + " must be in 1.." + stages);
        }
        if (stage < stages && !(net.backbone() instanceof SequentialBlock)) {
            throw new IllegalArgumentException("earlier stages need a SequentialBlock backbone");
        }
        try (NDManager scratch = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scratch, false);
            NDArray x = input(scratch, raw);
            NDArray activation;
            List<Block> children = null;
            if (stage == stages) {
                activation = net.features(ps, x, false);
            } else {
                children = ((SequentialBlock) net.backbone()).getChildren().values();
                NDList current = new NDList(x);
                for (int i = 0; i < stage; i++) {
                    current = children.get(i).forward(ps, current, false);
                }
                activation = current.singletonOrThrow();
            }
            NDArray leaf = activation.stopGradient().duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray features = leaf;
                if (children != null) {
                    NDList current = new NDList(leaf);
                    for (int i = stage; i < children.size(); i++) {
                        current = children.get(i).forward(ps, current, false);
                    }
                    features = current.singletonOrThrow();
                }
                NDArray logits = net.headForward(ps, features, false);
                tape.backward(logits.get(0, classIndex));
            }
            float[] gradient = leaf.getGradient().toFloatArray(); // (1, C, h, w)
            Shape shape = leaf.getShape();
            int channels = (int) shape.get(1);
            int plane = (int) (shape.get(2) * shape.get(3));
            float[] alpha = new float[channels];
            for (int k = 0; k < channels; k++) {
                double sum = 0;
                for (int i = 0; i < plane; i++) {
                    sum += gradient[k * plane + i];
                }
                alpha[k] = (float) (sum / plane);
            }
            return weightedSum(leaf.stopGradient(), alpha);
        }
    }

    /** CAM at feature resolution, [h][w], signed (before ReLU and normalisation), without the bias. */
    public float[][] rawCam(GreyImage raw, int classIndex) {
        checkClass(classIndex);
        if (!camIsExact) {
            throw new IllegalStateException("the head has more than pooling, dropout and linear (e.g. ConvNeXt's "
                    + "LayerNorm): CAM is not the model's evidence there; use gradCam");
        }
        try (NDManager scratch = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scratch, false);
            NDArray features = net.features(ps, input(scratch, raw), false); // (1, C, h, w)
            NDArray weight = linearWeight(net.head()); // (classes, C)
            float[] w = weight.get(classIndex).toFloatArray();
            if (w.length != features.getShape().get(1)) {
                throw new IllegalStateException("the head's weight has " + w.length + " inputs, the features "
                        + features.getShape().get(1) + " channels");
            }
            return weightedSum(features, w);
        }
    }

    /**
     * A feature-resolution map as a heat map at {@code width x height}: ReLU, normalised by its max,
     * upsampled bilinearly, normalised again; all zero when no value is positive.
     */
    public static GreyImage toImage(float[][] map, int width, int height) {
        int h = map.length;
        int w = map[0].length;
        float[] pixels = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = map[y][x];
                pixels[y * w + x] = v > 0 ? v : 0f; // also turns NaN into 0
            }
        }
        if (!normaliseByMax(pixels)) {
            return GreyImage.blank(width, height);
        }
        GreyImage up = Resize.to(new GreyImage(w, h, pixels), width, height);
        float[] out = up.pixels();
        if (!normaliseByMax(out)) {
            return GreyImage.blank(width, height);
        }
        return up;
    }

    private static boolean normaliseByMax(float[] pixels) {
        float max = 0;
        for (float v : pixels) {
            max = Math.max(max, v);
        }
        if (!(max > 0) || Float.isInfinite(max)) {
            return false;
        }
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] /= max;
        }
        return true;
    }

    private NDArray input(NDManager scratch, GreyImage raw) {
        int size = preprocessor.inputSize();
        float[] tensor = preprocessor.toTensor(preprocessor.prepare(raw));
        return scratch.create(tensor, new Shape(1, preprocessor.channels(), size, size));
    }

    private void checkClass(int classIndex) {
        if (classIndex < 0 || classIndex >= net.numClasses()) {
            throw new IllegalArgumentException("class index " + classIndex + " must be in 0.." + (net.numClasses() - 1));
        }
    }

    /** sum_k weights[k] * activation[0, k] as [h][w], accumulated in double. */
    private static float[][] weightedSum(NDArray activation, float[] weights) {
        Shape s = activation.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        int plane = h * w;
        float[] a = activation.toFloatArray();
        double[] sum = new double[plane];
        for (int k = 0; k < weights.length; k++) {
            double wk = weights[k];
            if (wk == 0) {
                continue;
            }
            for (int i = 0; i < plane; i++) {
                sum[i] += wk * a[k * plane + i];
            }
        }
        float[][] rows = new float[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rows[y][x] = (float) sum[y * w + x];
            }
        }
        return rows;
    }

    private static boolean headIsPoolDropoutLinear(Block head) {
        if (!(head instanceof SequentialBlock s)) {
            return false;
        }
        List<Block> children = s.getChildren().values();
        if (children.isEmpty() || !(children.get(children.size() - 1) instanceof Linear)) {
            return false;
        }
        // the standard head: global pooling (a LambdaBlock), dropout (optional), linear
        for (int i = 0; i < children.size() - 1; i++) {
            Block child = children.get(i);
            boolean pool = i == 0 && child instanceof LambdaBlock;
            if (!pool && !(child instanceof Dropout)) {
                return false;
            }
        }
        return true;
    }

    /** The weight (classes, channels) of the last Linear block in the head. */
    private static NDArray linearWeight(Block head) {
        List<Block> children = ((SequentialBlock) head).getChildren().values();
        Block linear = children.get(children.size() - 1);
        for (Pair<String, Parameter> p : linear.getParameters()) {
            if (p.getValue().getType() == Parameter.Type.WEIGHT) {
                return p.getValue().getArray();
            }
        }
        throw new IllegalStateException("the head's Linear layer has no weight");
    }
}
