package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.pneuknow.image.GreyImage;
import io.pneuknow.transform.Preprocessor;
import java.util.List;

/**
 * Class probabilities from a loaded model for raw images, with the preprocessing stored in the
 * model (the same object training used). Not thread-safe: one per thread.
 */
public final class Predictor {
    private final ModelBundle.Loaded model;
    private final Preprocessor preprocessor;

    public Predictor(ModelBundle.Loaded model) {
        this.model = model;
        this.preprocessor = model.card().preprocessing();
    }

    public ModelCard card() {
        return model.card();
    }

    /** Softmax probabilities per image, in the order of the model's labels. */
    public float[][] probabilities(List<GreyImage> images) {
        float[][] logits = logits(images);
        float[][] out = new float[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            out[i] = softmax(logits[i]);
        }
        return out;
    }

    /** Softmax of one row of logits, computed stably. */
    public static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int c = 0; c < logits.length; c++) {
            e[c] = Math.exp(logits[c] - max);
            sum += e[c];
        }
        float[] p = new float[logits.length];
        for (int c = 0; c < logits.length; c++) {
            p[c] = (float) (e[c] / sum);
        }
        return p;
    }

    /** Logits of image files, decoded in parallel and run in batches of 16; in the order given. */
    public double[][] logitsOfFiles(List<java.nio.file.Path> files) {
        double[][] out = new double[files.size()][];
        for (int start = 0; start < files.size(); start += 16) {
            List<java.nio.file.Path> chunk = files.subList(start, Math.min(files.size(), start + 16));
            List<GreyImage> images = chunk.parallelStream().map(io.pneuknow.image.ImageFiles::read).toList();
            float[][] z = logits(images);
            for (int i = 0; i < chunk.size(); i++) {
                out[start + i] = new double[z[i].length];
                for (int c = 0; c < z[i].length; c++) {
                    out[start + i][c] = z[i][c];
                }
            }
        }
        return out;
    }

    /** Logits per image (before softmax), in the order of the model's labels. */
    public float[][] logits(List<GreyImage> images) {
        int size = preprocessor.inputSize();
        int per = preprocessor.channels() * size * size;
        float[] batch = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(preprocessor.toTensor(preprocessor.prepare(images.get(i))), 0, batch, i * per, per);
        }
        try (NoGrad ignored = NoGrad.start(); NDManager scratch = model.manager().newSubManager()) {
            NDArray x = scratch.create(batch, new Shape(images.size(), preprocessor.channels(), size, size));
            NDArray logits = model.net().forward(new ParameterStore(scratch, false), new NDList(x), false).get(0);
            float[] flat = logits.toFloatArray();
            int classes = model.card().labels().size();
            float[][] out = new float[images.size()][classes];
            for (int i = 0; i < images.size(); i++) {
                System.arraycopy(flat, i * classes, out[i], 0, classes);
            }
            return out;
        }
    }

    /** The index of the largest probability (the first on ties). */
    public static int argmax(float[] probabilities) {
        int best = 0;
        for (int c = 1; c < probabilities.length; c++) {
            best = probabilities[c] > probabilities[best] ? c : best;
        }
        return best;
    }
}
