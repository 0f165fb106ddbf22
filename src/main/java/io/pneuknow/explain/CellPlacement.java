package io.pneuknow.explain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.pneuknow.image.GreyImage;
import io.pneuknow.transform.Resize;
import java.util.HashMap;
import java.util.Map;

/**
 * From a feature-resolution map to a heat map on the raw image: ReLU, divided by the maximum, each
 * cell placed at the centre of its receptive field on the input ({@link #geometry}, measured once per
 * stage) and interpolated bilinearly between cell centres, divided by the maximum again, so values are
 * in [0, 1] with max 1; a map with no positive value stays all zero. (Plain aligned upsampling, the
 * static {@link #alignedToImage}, draws cell j at the middle of the block [s j, s j + s): right for
 * ConvNeXt, but (s - 1) / 2 = 15.5 input pixels right of and below the evidence at stride 32 for
 * tiny_cnn and the ResNets.) Not thread-safe (the measurement uses the engine's gradient tape).
 */
final class CellPlacement {
    /** Side of the probe image of {@link #geometry}: large enough to hold most of a cell's receptive field. */
    static final int PROBE_SIZE = 512;

    private final FeatureMaps maps;
    /** Where each stage's cells sit on the network input, measured once per stage. */
    private final Map<Integer, CellGeometry> geometries = new HashMap<>();

    CellPlacement(FeatureMaps maps) {
        this.maps = maps;
    }

    /**
     * A map of backbone stage {@code stage} (as {@link GradCam#raw} gives it) as a heat map at
     * {@code width x height}: ReLU, normalised by its max, each cell placed at its receptive field's
     * centre ({@link #geometry}) and interpolated bilinearly between cell centres (constant beyond the
     * outer ones), normalised again; all zero when no value is positive.
     */
    GreyImage toImage(float[][] map, int stage, int width, int height) {
        int h = map.length;
        int w = map[0].length;
        float[] cells = relu(map);
        if (!normaliseByMax(cells)) {
            return GreyImage.blank(width, height);
        }
        CellGeometry g = geometry(stage);
        int size = maps.preprocessor.inputSize();
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
     * Where {@link #toImage} puts the centres of a stage's {@code cells} cells along an axis of
     * {@code n} output pixels: the pixel coordinate (fractional; pixel centres are integers) at which
     * cell j has its full value. The inverse of {@link #cellCoordinates}.
     */
    double[] cellCentres(int stage, int n, int cells) {
        return cellCentres(n, maps.preprocessor.inputSize(), geometry(stage), cells);
    }

    static double[] cellCentres(int n, int size, CellGeometry g, int cells) {
        double[] out = new double[cells];
        for (int j = 0; j < cells; j++) {
            double input = g.offset() + g.stride() * j;
            out[j] = (input + 0.5) * n / size - 0.5;
        }
        return out;
    }

    /**
     * For each of {@code n} output pixels along an axis, the (fractional) cell coordinate it samples,
     * clamped to [0, cells - 1]: output pixel X has its centre at input pixel (X + 0.5) size / n - 0.5
     * (the preprocessing resizes the whole image to the input), which is cell (that - offset) / stride.
     */
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
    CellGeometry geometry(int stage) {
        return geometries.computeIfAbsent(stage, this::probeGeometry);
    }

    private CellGeometry probeGeometry(int stage) {
        int size = Math.max(PROBE_SIZE, maps.preprocessor.inputSize());
        int channels = maps.preprocessor.channels();
        float[] noise = new float[channels * size * size];
        java.util.Random random = new java.util.Random(12345);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) random.nextGaussian();
        }
        try (NDManager scratch = maps.manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scratch, false);
            NDArray x = scratch.create(noise, new Shape(1, channels, size, size));
            x.setRequiresGradient(true);
            int cells;
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray activation = maps.activation(ps, x, stage);
                cells = (int) activation.getShape().get(2);
                if (cells < 2 || activation.getShape().get(3) != cells) {
                    return CellGeometry.aligned((double) maps.preprocessor.inputSize() / Math.max(1, cells));
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

    /**
     * A feature-resolution map as a heat map at {@code width x height}: ReLU, normalised by its max,
     * upsampled bilinearly with pixel centres aligned (OpenCV), normalised again; all zero when no value
     * is positive. It places cell j at the middle of the block [s j, s j + s), which is not where every
     * net's cell looks: for a known net use {@link #toImage}.
     */
    static GreyImage alignedToImage(float[][] map, int width, int height) {
        int h = map.length;
        int w = map[0].length;
        float[] pixels = relu(map);
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

    /** The map's values row by row, negative ones (and NaN) set to 0. */
    private static float[] relu(float[][] map) {
        int h = map.length;
        int w = map[0].length;
        float[] out = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = map[y][x];
                out[y * w + x] = v > 0 ? v : 0f; // also turns NaN into 0
            }
        }
        return out;
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
}
