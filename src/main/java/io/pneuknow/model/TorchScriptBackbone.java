package io.pneuknow.model;

import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBaseBlock;
import ai.djl.nn.BlockList;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.pneuknow.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A backbone a user brings as a TorchScript file ({@code torch.jit.script(backbone).save(FILE)} or
 * {@code torch.jit.trace}): images (N, C, H, W) to the last feature map (N, F, h, w). Training with
 * {@code --architecture torchscript --pretrained FILE} puts it under our standard head (global average
 * pooling, dropout, linear) and fine-tunes it: its parameters are DJL {@link Parameter}s holding the
 * module's own tensors, so they receive gradients and our Adam updates them in place.
 *
 * <p>Training and inference mode: a forward pass with {@code training} true puts the module in
 * {@code train()} mode, false in {@code eval()} mode, and inference runs without autograd. A
 * <em>scripted</em> module follows that switch (BatchNorm uses batch statistics and updates its
 * running statistics in training, uses the running statistics at inference). A <em>traced</em>
 * module does not: tracing records BatchNorm with the mode it was traced in, so a module traced in
 * train mode uses batch statistics (and keeps updating its running statistics) even at inference,
 * where a prediction then depends on the other images in its batch. {@link #load} detects that (an
 * image's features change with its batch companions in inference mode) and says so in what the
 * model card records.
 *
 * <p>Saving: {@link #saveParameters} writes the whole module (code, weights and buffers such as
 * BatchNorm statistics) in TorchScript's own format inside DJL's parameter stream, so model.params
 * and every checkpoint are self-contained; {@link #loadParameters} reads such a module and points
 * this block's parameters (the same {@link Parameter} objects, so an optimizer built earlier keeps
 * working) at its tensors.
 */
public final class TorchScriptBackbone extends AbstractBaseBlock {
    /** The command-line architecture name of a network whose backbone is a TorchScript file. */
    public static final String ARCHITECTURE = "torchscript";
    /** What {@link ModelCard.Pretrained#format()} says for a TorchScript backbone. */
    public static final String FORMAT = "torchscript";

    private static final byte VERSION = 1;
    private static final String MAGIC = "pneuknow-torchscript-module";
    /** Relative difference above which features count as batch-dependent (well above float32 noise). */
    private static final double BATCH_DEPENDENCE = 1e-4;

    private final PtNDManager manager;
    private PtSymbolBlock module;
    private final LinkedHashMap<String, Parameter> parameters = new LinkedHashMap<>();
    /** The module's current mode; null until the first forward pass sets it. */
    private Boolean moduleTraining;
    /** Output shapes (batch 1) per input (C, H, W), found by forward passes. */
    private final Map<Shape, Shape> outputShapes = new HashMap<>();

    private TorchScriptBackbone(PtNDManager manager, PtSymbolBlock module) {
        super(VERSION);
        this.manager = manager;
        this.module = module;
        NDList tensors = JniUtils.moduleGetParams(module, manager);
        for (NDArray t : tensors) {
            String name = t.getName();
            parameters.put(name, Parameter.builder().setName(name).setType(typeOf(name)).optShape(t.getShape())
                    .optArray(t).build());
        }
    }

    /** A network with a TorchScript backbone, and what model.json records about the file. */
    public record Loaded(ClassifierNet net, ModelCard.Pretrained pretrained) {
    }

    /** Whether a command-line architecture name means a TorchScript backbone. */
    public static boolean named(String architecture) {
        return ARCHITECTURE.equals(architecture);
    }

    /**
     * Loads a TorchScript backbone from {@code file} and puts it under the standard head (no
     * LayerNorm), initialised for inputs (1, channels, size, size); the head's weights come from the
     * engine's generator (seed it first). Checks with two forward passes in inference mode that the
     * module takes such inputs and returns one 4-D float feature map, and whether its features
     * depend on the batch (a module traced in train mode).
     *
     * @throws BadInputException naming the file and a remedy when it is not TorchScript, does not take
     *     the input or does not return a feature map
     */
    public static Loaded load(Path file, int numClasses, int channels, float dropout, int size, NDManager manager) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no TorchScript file here (missing, or a folder); give the file"
                    + " written by torch.jit.script(backbone).save(FILE)");
        }
        PtNDManager pt = pytorch(manager);
        PtSymbolBlock module;
        try {
            module = JniUtils.loadModule(pt, file, true, new String[0], new String[0], true);
        } catch (EngineException e) {
            throw new BadInputException(file + ": not a TorchScript module (" + firstLine(e) + "); make one with"
                    + " torch.jit.script(backbone).save(FILE) (a state_dict written by torch.save is not TorchScript:"
                    + " convert it to safetensors and use a built-in --architecture, see README)");
        }
        TorchScriptBackbone backbone = new TorchScriptBackbone(pt, module);
        Probe probe = backbone.probe(file.toString(), channels, size);
        ClassifierNet net = backbone.classifier(numClasses, channels, dropout, probe, size, manager);
        String detail = String.format(Locale.ROOT, "%d parameter tensors (%,d parameters), feature map %d x %d x %d"
                        + " at %d px; %s", backbone.parameters.size(), Architectures.parameterCount(backbone),
                probe.features.get(1), probe.features.get(2), probe.features.get(3), size,
                probe.batchDependent ? "features depend on the batch in inference mode (BatchNorm fixed in training"
                        + " mode, e.g. traced in train mode): predictions change with the other images in a batch"
                        : "follows train/eval mode");
        return new Loaded(net, new ModelCard.Pretrained(file.getFileName().toString(), Safetensors.sha256(file),
                FORMAT, detail));
    }

    /**
     * Rebuilds the network a {@link ModelBundle} saved (model.params bytes as {@link ClassifierNet#saveParameters}
     * wrote them for a TorchScript backbone), ready for {@code net.loadParameters} with the same bytes.
     */
    static ClassifierNet fromSavedNet(byte[] savedNet, String where, int numClasses, int channels, float dropout,
                                      int size, NDManager manager) throws IOException, MalformedModelException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(savedNet));
        in.readByte(); // the ClassifierNet's version, then its input shapes (AbstractBaseBlock's layout)
        int shapes = in.readInt();
        for (int i = 0; i < shapes; i++) {
            Shape.decode(in);
        }
        PtNDManager pt = pytorch(manager);
        TorchScriptBackbone backbone = new TorchScriptBackbone(pt, readModule(pt, in));
        Probe probe = backbone.probe(where, channels, size);
        return backbone.classifier(numClasses, channels, dropout, probe, size, manager);
    }

    private ClassifierNet classifier(int numClasses, int channels, float dropout, Probe probe, int size,
                                     NDManager manager) {
        ClassifierNet net = new ClassifierNet(this, ClassifierNet.standardHead(numClasses, dropout, false), channels,
                (int) probe.features.get(1), numClasses);
        return Architectures.initialize(net, manager, size);
    }

    /** What the two inference-mode forward passes of {@link #probe} found. */
    private record Probe(Shape features, boolean batchDependent) {
    }

    /**
     * Runs (a, b) and (a, c) through the module in inference mode: both must give one float32 tensor
     * (2, F, h, w); the features of a differ between them when the module's BatchNorm is fixed in
     * training mode. The inputs come from a fixed java.util.Random, so the engine's generator (the
     * head's initialisation) is untouched.
     */
    private Probe probe(String where, int channels, int size) {
        Shape in = new Shape(2, channels, size, size);
        Random random = new Random(20240601);
        float[][] images = new float[3][channels * size * size];
        for (float[] image : images) {
            for (int i = 0; i < image.length; i++) {
                image[i] = (float) random.nextGaussian();
            }
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray ab = scratch.create(concat(images[0], images[1]), in);
            NDArray ac = scratch.create(concat(images[0], images[2]), in);
            NDArray first = probeForward(where, ab, channels);
            NDArray second = probeForward(where, ac, channels);
            Shape shape = first.getShape();
            outputShapes.put(in.slice(1), new Shape(1, shape.get(1), shape.get(2), shape.get(3)));
            NDArray a1 = first.get(0);
            NDArray a2 = second.get(0);
            double scale = Math.max(a1.abs().max().getFloat(), 1e-12f);
            boolean dependent = a1.sub(a2).abs().max().getFloat() / scale > BATCH_DEPENDENCE;
            return new Probe(shape, dependent);
        }
    }

    private NDArray probeForward(String where, NDArray x, int channels) {
        NDList out;
        try {
            out = forwardInternal(null, new NDList(x), false, null);
        } catch (RuntimeException e) { // EngineException from torch, or an output DJL cannot convert
            throw new BadInputException(where + ": the TorchScript module does not take images " + x.getShape() + " ("
                    + firstLine(e) + "); " + (channels == 1 ? "a backbone made for RGB images needs --channels 3"
                    : "give a backbone that takes (N, 3, H, W) images") + " and an input size it accepts");
        }
        String remedy = "; expected one tensor (N, F, h, w), the last feature map: save the backbone without its"
                + " pooling and classifier, e.g. torch.nn.Sequential(*list(model.children())[:-2])";
        if (out.size() != 1) {
            throw new BadInputException(where + ": the TorchScript module returns " + out.size() + " tensors" + remedy);
        }
        NDArray y = out.singletonOrThrow();
        if (y.getShape().dimension() != 4 || y.getShape().get(0) != x.getShape().get(0)) {
            throw new BadInputException(where + ": the TorchScript module returns " + y.getShape() + " for images "
                    + x.getShape() + ", not a 4-D feature map" + remedy);
        }
        if (y.getDataType() != DataType.FLOAT32) {
            throw new BadInputException(where + ": the TorchScript module returns " + y.getDataType()
                    + " features; save it in float32 (module.float())");
        }
        return y;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] ab = new float[a.length + b.length];
        System.arraycopy(a, 0, ab, 0, a.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        return ab;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        if (moduleTraining == null || moduleTraining != training) {
            if (training) {
                JniUtils.enableTrainingMode(module);
            } else {
                JniUtils.enableInferenceMode(module);
            }
            moduleTraining = training;
        }
        NDArray x = inputs.singletonOrThrow();
        // DJL reads structure (dict, list, tuple inputs) from array names: pass an unnamed array
        NDArray unnamed = x.getName() == null || x.getName().isEmpty() ? x : x.duplicate();
        // training: the module's ops join the autograd graph; inference: no autograd (DJL's JIT call guard)
        return IValueUtils.forward(module, new NDList(unnamed), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        Shape perImage = outputShapes.get(in.slice(1));
        if (perImage == null) {
            Shape probeShape = new Shape(2, in.get(1), in.get(2), in.get(3));
            try (NDManager scratch = manager.newSubManager()) {
                Shape out = forwardInternal(null, new NDList(scratch.zeros(probeShape)), false, null)
                        .singletonOrThrow().getShape();
                perImage = new Shape(1, out.get(1), out.get(2), out.get(3));
            }
            outputShapes.put(in.slice(1), perImage);
        }
        return new Shape[] {new Shape(in.get(0), perImage.get(1), perImage.get(2), perImage.get(3))};
    }

    @Override
    public void initialize(NDManager initManager, DataType dataType, Shape... inputShapes) {
        if (dataType != DataType.FLOAT32) {
            throw new IllegalArgumentException("a TorchScript backbone runs in float32, not " + dataType);
        }
        super.initialize(initManager, dataType, inputShapes);
    }

    @Override
    public BlockList getChildren() {
        return new BlockList();
    }

    @Override
    public ParameterList getDirectParameters() {
        return new ParameterList(parameters);
    }

    /** The module's parameters in its own order, by their TorchScript names (e.g. {@code 4.0.conv1.weight}). */
    public List<String> parameterNames() {
        return new ArrayList<>(parameters.keySet());
    }

    /** Writes this block's version, a marker and the module in TorchScript's format (its length first). */
    @Override
    public void saveParameters(DataOutputStream os) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JniUtils.writeModule(module, bytes, false);
        os.writeByte(VERSION);
        os.writeUTF(MAGIC);
        os.writeLong(bytes.size());
        bytes.writeTo(os);
    }

    /**
     * Reads a module written by {@link #saveParameters} and makes it this block's module; its
     * parameters must have the same names and shapes. The {@link Parameter} objects stay the same
     * and now hold the new module's tensors (requiring gradients), and the old module is released.
     */
    @Override
    public void loadParameters(NDManager loadManager, DataInputStream is) throws IOException, MalformedModelException {
        PtSymbolBlock loaded = readModule(manager, is);
        NDList tensors = JniUtils.moduleGetParams(loaded, manager);
        List<String> names = new ArrayList<>();
        for (NDArray t : tensors) {
            names.add(t.getName());
        }
        if (!names.equals(parameterNames())) {
            tensors.close();
            loaded.close();
            throw new MalformedModelException("the saved TorchScript module's " + names.size()
                    + " parameters are not this module's " + parameters.size() + " (other names or order)");
        }
        for (NDArray t : tensors) {
            Parameter p = parameters.get(t.getName());
            if (!p.getShape().equals(t.getShape())) {
                tensors.close();
                loaded.close();
                throw new MalformedModelException("saved TorchScript parameter " + t.getName() + " has shape "
                        + t.getShape() + ", this module's " + p.getShape());
            }
        }
        for (NDArray t : tensors) {
            Parameter p = parameters.get(t.getName());
            p.close(); // releases the old module's tensor handle, not the tensor the old module still holds
            p.setInitializer((m, shape, type) -> t);
            p.initialize(manager, DataType.FLOAT32); // now holds t, requiring a gradient
        }
        PtSymbolBlock old = module;
        module = loaded;
        moduleTraining = null;
        old.close();
    }

    private static PtSymbolBlock readModule(PtNDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        byte version = is.readByte();
        if (version != VERSION) {
            throw new MalformedModelException("TorchScript backbone saved with version " + version + ", expected "
                    + VERSION);
        }
        String magic = is.readUTF();
        if (!MAGIC.equals(magic)) {
            throw new MalformedModelException("not a saved TorchScript backbone (marker '" + magic + "')");
        }
        long length = is.readLong();
        if (length <= 0 || length > Integer.MAX_VALUE - 16) {
            throw new MalformedModelException("saved TorchScript module of " + length + " bytes");
        }
        byte[] bytes = is.readNBytes((int) length);
        if (bytes.length != length) {
            throw new IOException("saved TorchScript module cut short: " + bytes.length + " of " + length + " bytes");
        }
        try {
            // parameters are loaded as ordinary (trainable) tensors from a stream
            long handle = JniUtils.loadModuleHandle(new ByteArrayInputStream(bytes), manager.getDevice(), true, false);
            return new PtSymbolBlock(manager, handle);
        } catch (EngineException e) {
            throw new MalformedModelException("cannot read the saved TorchScript module: " + firstLine(e), e);
        }
    }

    private static PtNDManager pytorch(NDManager manager) {
        if (manager instanceof PtNDManager pt) {
            return pt;
        }
        throw new IllegalStateException("a TorchScript backbone needs the PyTorch engine, not " + manager.getEngine());
    }

    private static Parameter.Type typeOf(String name) {
        if (name.endsWith("weight")) {
            return Parameter.Type.WEIGHT;
        }
        return name.endsWith("bias") ? Parameter.Type.BIAS : Parameter.Type.OTHER;
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().map(String::strip).filter(s -> !s.isEmpty()).findFirst().orElse("");
    }
}
