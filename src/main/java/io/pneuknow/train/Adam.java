package io.pneuknow.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma and Ba 2015) with PyTorch's update rule and no weight decay, whose state (first
 * and second moments, step count) we own, so a run can be saved and resumed exactly. DJL's own
 * Adam keeps that state in private fields with no way to save or load it.
 *
 * <p>Parameters may be updated at a fraction of the learning rate (a pretrained backbone's smaller
 * rate) or skipped (a frozen backbone). As in PyTorch, a skipped parameter's moments and step
 * count stay as they were, so its bias correction starts from its own first update.
 */
public final class Adam implements AutoCloseable {
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final List<Parameter> parameters;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private final NDManager manager;
    /** Updates made to each parameter (PyTorch keeps one count per parameter too). */
    private final long[] steps;
    /** The state format that stores one step count per parameter (the older one stored one count). */
    private static final long PER_PARAMETER_STEPS = -2;

    /** An optimizer over the trainable parameters (those that require a gradient), in the given order. */
    public Adam(List<Parameter> trainable, NDManager parent) {
        this.parameters = List.copyOf(trainable);
        this.manager = parent.newSubManager();
        this.steps = new long[parameters.size()];
        for (Parameter p : parameters) {
            NDArray w = p.getArray();
            firstMoments.add(manager.zeros(w.getShape(), w.getDataType()));
            secondMoments.add(manager.zeros(w.getShape(), w.getDataType()));
        }
    }

    /** One update of every parameter with the gradients currently attached to them. */
    public void step(float learningRate) {
        step(learningRate, null);
    }

    /**
     * One update with the gradients currently attached to the parameters, parameter {@code i} at
     * {@code learningRate * scale[i]}; a scale of 0 skips the parameter entirely (moments and step
     * count untouched). A null {@code scale} updates all at the full rate.
     */
    public void step(float learningRate, float[] scale) {
        // every temporary array made inside the scope is closed when it ends
        try (NDScope ignored = new NDScope()) {
            for (int i = 0; i < parameters.size(); i++) {
                float rate = scale == null ? learningRate : learningRate * scale[i];
                if (rate == 0) {
                    continue;
                }
                steps[i]++;
                double bias1 = 1 - Math.pow(BETA1, steps[i]);
                double bias2 = 1 - Math.pow(BETA2, steps[i]);
                float stepSize = (float) (rate / bias1);
                float sqrtBias2 = (float) Math.sqrt(bias2);
                NDArray w = parameters.get(i).getArray();
                NDArray g = w.getGradient();
                firstMoments.get(i).muli(BETA1).addi(g.mul(1 - BETA1));
                NDArray v = secondMoments.get(i).muli(BETA2).addi(g.square().muli(1 - BETA2));
                NDArray denominator = v.sqrt().divi(sqrtBias2).addi(EPSILON);
                w.subi(firstMoments.get(i).div(denominator).muli(stepSize));
            }
        }
    }

    /** The most updates any parameter has had. */
    public long steps() {
        long most = 0;
        for (long s : steps) {
            most = Math.max(most, s);
        }
        return most;
    }

    /** Writes the step count and both moments of every parameter. */
    public void save(DataOutputStream out) throws IOException {
        out.writeLong(PER_PARAMETER_STEPS);
        out.writeInt(parameters.size());
        for (int i = 0; i < parameters.size(); i++) {
            out.writeLong(steps[i]);
            writeArray(out, firstMoments.get(i));
            writeArray(out, secondMoments.get(i));
        }
    }

    /** Restores what {@link #save} wrote, for the same parameter list. */
    public void load(DataInputStream in) throws IOException {
        long first = in.readLong();
        boolean perParameter = first == PER_PARAMETER_STEPS;
        int n = in.readInt();
        if (n != parameters.size()) {
            throw new IOException("optimizer state has " + n + " parameters, the model " + parameters.size());
        }
        for (int i = 0; i < n; i++) {
            // checkpoints written before per-parameter counts hold one count for all
            steps[i] = perParameter ? in.readLong() : first;
            readInto(in, firstMoments.get(i));
            readInto(in, secondMoments.get(i));
        }
    }

    private static void writeArray(DataOutputStream out, NDArray array) throws IOException {
        byte[] bytes = array.encode();
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private void readInto(DataInputStream in, NDArray target) throws IOException {
        byte[] bytes = in.readNBytes(in.readInt());
        try (NDManager scratch = manager.newSubManager()) {
            NDArray loaded = NDArray.decode(scratch, bytes);
            if (!loaded.getShape().equals(target.getShape())) {
                throw new IOException("optimizer state shape " + loaded.getShape() + " != " + target.getShape());
            }
            loaded.copyTo(target);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
