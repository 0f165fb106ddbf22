package io.pneuknow.explain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.NoGrad;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.transform.Resize;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * <p>The public maps are at the raw image's size: ReLU, divided by the maximum, each cell placed at
 * the centre of its receptive field on the input ({@link #geometry}, measured once per stage) and
 * interpolated bilinearly between cell centres, divided by the maximum again, so values are in
 * [0, 1] with max 1; a map with no positive value stays all zero. (Plain aligned upsampling, the
 * static {@link #toImage(float[][], int, int)}, draws cell j at the middle of the block
 * [s j, s j + s): right for ConvNeXt, but (s - 1) / 2 = 15.5 input pixels right of and below the
 * evidence at stride 32 for tiny_cnn and the ResNets.) Everything runs in inference mode (BatchNorm
 * running statistics, no dropout); the net is not changed, but the backward pass may leave gradients in
 * parameters that require them (a training step zeroes them first). Not thread-safe (one gradient tape
 * per engine at a time): one instance per thread, and not while the same engine is training.
 */
public final class HeatMaps {
    private final ClassifierNet net;
    private final Preprocessor preprocessor;
    private final NDManager manager;
    private final boolean camIsExact;
    /** Where each stage's cells sit on the network input, measured once per stage. */
    private final Map<Integer, CellGeometry> geometries = new HashMap<>();

    /**
     * Where the cells of a feature map sit on the network's input (square, {@code inputSize} px):
     * cell j's centre is at {@code offset + stride * j} input pixels (the same along both axes).
     */
    public record CellGeometry(double stride, double offset) {
        /** OpenCV's aligned upsampling: cell j drawn at the middle of the block [s j, s j + s). */
        static CellGeometry aligned(double stride) {
            return new CellGeometry(stride, (stride - 1) / 2);
        }
    }

    /** Side of the probe image of {@link #geometry}: large enough to hold most of a cell's receptive field. */
    static final int PROBE_SIZE = 512;

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

    /**
     * A map of backbone stage {@code stage} (as {@link #rawGradCam(GreyImage, int, int)} gives it) as a
     * heat map at {@code width x height}: ReLU, normalised by its max, each cell placed at its
     * receptive field's centre ({@link #geometry}) and interpolated bilinearly between cell centres
     * (constant beyond the outer ones), normalised again; all zero when no value is positive.
     */
    public GreyImage toImage(float[][] map, int stage, int width, int height) {
        int h = map.length;
        int w = map[0].length;
        float[] cells = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = map[y][x];
                cells[y * w + x] = v > 0 ? v : 0f; // also turns NaN into 0
            }
        }
        if (!normaliseByMax(cells)) {
            return GreyImage.blank(width, height);
        }
        CellGeometry g = geometry(stage);
        int size = preprocessor.inputSize();
        double[] u = cellCoordinates(width, size, g, w);
        double[] v = cellCoordinates(height, size, g, h);
        float[] out = new float[width * height];
        for (int y = 0; y < height; y++) {
            int y0 = (int) Math.floor(v[y]);
            int y1 = Math.min(y0 + 1, h - 1);
            double fy = v[y] - y0;
            for (int x = 0; x < width; x++) {
                int x0 = (int) Math.floor(u[x]);
                int x1 = Math.min(x0 + 1, w - 1);
                double fx = u[x] - x0;
                double top = cells[y0 * w + x0] * (1 - fx) + cells[y0 * w + x1] * fx;
                double bottom = cells[y1 * w + x0] * (1 - fx) + cells[y1 * w + x1] * fx;
                out[y * width + x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        if (!normaliseByMax(out)) {
            return GreyImage.blank(width, height);
        }
        return new GreyImage(width, height, out);
    }

    /**
     * For each of {@code n} output pixels along an axis, the (fractional) cell coordinate it samples,
     * clamped to [0, cells - 1]: output pixel X has its centre at input pixel (X + 0.5) size / n - 0.5
     * (the preprocessing resizes the whole image to the input), which is cell (that - offset) / stride.
     */
    /**
     * Where {@link #toImage(float[][], int, int, int)} puts the centres of a stage's {@code cells} cells
     * along an axis of {@code n} output pixels: the pixel coordinate (fractional; pixel centres are
     * integers) at which cell j has its full value. The inverse of {@link #cellCoordinates}.
     */
    public double[] cellCentres(int stage, int n, int cells) {
        return cellCentres(n, preprocessor.inputSize(), geometry(stage), cells);
    }

    static double[] cellCentres(int n, int size, CellGeometry g, int cells) {
        double[] out = new double[cells];
        for (int j = 0; j < cells; j++) {
            double input = g.offset() + g.stride() * j;
            out[j] = (input + 0.5) * n / size - 0.5;
        }
        return out;
    }

    static double[] cellCoordinates(int n, int size, CellGeometry g, int cells) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double input = (i + 0.5) * size / n - 0.5;
            out[i] = Math.max(0, Math.min(cells - 1, (input - g.offset()) / g.stride()));
        }
        return out;
    }

    /**
     * Where the cells of backbone stage {@code stage} sit on the network input, measured once: on a
     * {@value #PROBE_SIZE} px noise image (seeded) in inference mode, the centre of a middle cell's
     * effective receptive field (Luo et al. 2016: the centroid of |d sum_k a_k(cell) / d input|),
     * minus stride x its index. Measured rather than derived, so it holds for every architecture,
     * TorchScript backbones too: tiny_cnn and the ResNets (stride-2 convolutions padded to keep the
     * size) centre cell j on input pixel s j, ConvNeXt (non-overlapping patches) on s j + (s - 1) / 2,
     * where plain aligned upsampling would draw every net (checked in HeatMapsTest). Falls back to the
     * aligned placement when the map has a single cell or no gradient reaches the input (a TorchScript
     * backbone, whose inference runs without autograd).
     */
    public CellGeometry geometry(int stage) {
        return geometries.computeIfAbsent(stage, this::probeGeometry);
    }

    private CellGeometry probeGeometry(int stage) {
        int size = Math.max(PROBE_SIZE, preprocessor.inputSize());
        int channels = preprocessor.channels();
        float[] noise = new float[channels * size * size];
        java.util.Random random = new java.util.Random(12345);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) random.nextGaussian();
        }
        try (NDManager scratch = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scratch, false);
            NDArray x = scratch.create(noise, new Shape(1, channels, size, size));
            x.setRequiresGradient(true);
            int cells;
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray activation = activation(ps, x, stage);
                cells = (int) activation.getShape().get(2);
                if (cells < 2 || activation.getShape().get(3) != cells) {
                    return CellGeometry.aligned((double) preprocessor.inputSize() / Math.max(1, cells));
                }
                int middle = cells / 2;
                double stride = (double) size / cells;
                try {
                    tape.backward(activation.get(new NDIndex(0 + ", :, " + middle + ", " + middle)).sum());
                } catch (RuntimeException e) {
                    // no autograd through the backbone in inference mode (a TorchScript module runs under
                    // DJL's inference guard): no measurement, the aligned placement
                    return CellGeometry.aligned(stride);
                }
                float[] g = x.getGradient().toFloatArray();
                double total = 0;
                double sumY = 0;
                double sumX = 0;
                for (int c = 0; c < channels; c++) {
                    for (int y = 0; y < size; y++) {
                        for (int xx = 0; xx < size; xx++) {
                            double m = Math.abs(g[(c * size + y) * size + xx]);
                            total += m;
                            sumY += m * y;
                            sumX += m * xx;
                        }
                    }
                }
                if (!(total > 0)) {
                    return CellGeometry.aligned(stride);
                }
                double centre = (sumY + sumX) / (2 * total);
                return new CellGeometry(stride, centre - stride * middle);
            }
        }
    }

    /** The output of backbone children 0..stage-1 (the feature map for the last stage), inference mode. */
    private NDArray activation(ParameterStore ps, NDArray x, int stage) {
        if (stage == backboneStages()) {
            return net.features(ps, x, false);
        }
        List<Block> children = ((SequentialBlock) net.backbone()).getChildren().values();
        NDList current = new NDList(x);
        for (int i = 0; i < stage; i++) {
            current = children.get(i).forward(ps, current, false);
        }
        return current.singletonOrThrow();
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
            // up to the cell's stage, no gradient is needed (the tape starts at the activation)
            try (NoGrad ignored = NoGrad.start()) {
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
     * upsampled bilinearly with pixel centres aligned (OpenCV), normalised again; all zero when no value
     * is positive. It places cell j at the middle of the block [s j, s j + s), which is not where every
     * net's cell looks: for a known net use {@link #toImage(float[][], int, int, int)}.
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
