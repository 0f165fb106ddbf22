package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.pneuknow.BadInputException;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Loads weights users bring (safetensors files with torchvision or timm key names, e.g. a torchvision
 * checkpoint re-saved with {@code safetensors.torch.save_file(model.state_dict(), ...)} or timm's
 * {@code model.safetensors} from a model hub) into a {@link ClassifierNet}.
 *
 * <p>The naming scheme is recognised from the keys. The final linear layer is not loaded (the data set's
 * classes differ from ImageNet's): its keys are skipped and the net keeps its own initialisation; the
 * ConvNeXt head's LayerNorm is loaded. Any other key that is missing, unexpected or of the wrong shape
 * is a {@link BadInputException} that lists them all. A first convolution trained on 3 channels is used
 * with 1-channel input by summing its weights over the input channels (a grey image replicated to RGB
 * gives the same output), and one trained on 1 channel with 3-channel input by replicating its weights
 * divided by 3. Values are converted to the net's float32 (F16, BF16 and F64 files are fine; a net
 * initialised in float64 gets float64 values).
 */
public final class PretrainedWeights {

    private static final int LIST_AT_MOST = 12;

    private PretrainedWeights() {}

    /**
     * What was loaded.
     *
     * @param name the file's name
     * @param sha256 hex SHA-256 of the file's bytes
     * @param format "safetensors/torchvision" or "safetensors/timm" ("safetensors/torchvision+timm" when
     *     the architecture's names are the same in both, as for ResNet)
     * @param loaded tensors copied into the net
     * @param skipped tensors in the file not used: the classifier's and BatchNorm's num_batches_tracked
     * @param firstConv how the first convolution was adapted: "as is", "3 -> 1 channel (sum)" or
     *     "1 -> 3 channels (replicated / 3)"
     */
    public record Info(String name, String sha256, String format, int loaded, int skipped, String firstConv) {}

    /**
     * Loads a safetensors file into an initialised net ({@link Architectures#initialize}), except the
     * final linear layer. Call it before training starts (before a Trainer is created is fine too).
     *
     * @throws BadInputException when the file cannot be read, matches neither naming scheme, or has keys
     *     missing, unexpected or of the wrong shape (all listed)
     */
    public static Info loadInto(ClassifierNet net, Path file) {
        return load(net, file, false, key -> false);
    }

    /**
     * As {@link #loadInto} with a choice whether the classifier is loaded too (it must then have the
     * net's class count) and a filter of keys to skip (e.g. reference tensors stored in the same file).
     */
    static Info load(ClassifierNet net, Path file, boolean classifier, Predicate<String> skip) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException("pretrained weights file " + file + " does not exist");
        }
        String name = file.getFileName().toString();
        try (Safetensors st = Safetensors.open(file)) {
            LoadPlan plan = plan(net, st, classifier, skip);
            plan.apply(net, st);
            String format = "safetensors/" + plan.schemes;
            return new Info(name, Safetensors.sha256(file), format, plan.loaded.size(), plan.skipped,
                    plan.firstConv);
        }
    }

    /** The chosen mapping and what to do with each key; throws when anything does not fit. */
    private static LoadPlan plan(ClassifierNet net, Safetensors st, boolean classifier, Predicate<String> skip) {
        List<KeyMapping> mappings = KeyMapping.all(net);
        if (mappings.isEmpty()) {
            throw new BadInputException("architecture " + net.architecture()
                    + " has no torchvision or timm counterpart to load weights from");
        }
        Map<String, Parameter> ours = parameters(net);
        Map<String, Safetensors.Entry> entries = new LinkedHashMap<>();
        String prefix = commonPrefix(st);
        for (Safetensors.Entry e : st.entries().values()) {
            if (!skip.test(e.name())) {
                entries.put(KeyMapping.normalize(e.name().substring(prefix.length())), e);
            }
        }
        KeyMapping best = null;
        long bestHits = -1;
        for (KeyMapping m : mappings) {
            long hits = m.keys().keySet().stream().filter(entries::containsKey).count();
            if (hits > bestHits) {
                best = m;
                bestHits = hits;
            }
        }
        String schemes = mappings.size() > 1 && mappings.get(0).sameAs(mappings.get(1))
                ? KeyMapping.TORCHVISION + "+" + KeyMapping.TIMM : best.scheme();
        String where = "pretrained weights " + st.file() + " (" + net.architecture() + ", "
                + schemes + " names)";
        if (bestHits == 0) {
            throw new BadInputException(where + ": no key matches; the file's first keys are "
                    + entries.keySet().stream().limit(5).collect(Collectors.joining(", "))
                    + " (is it a checkpoint of another architecture?)");
        }
        LoadPlan plan = new LoadPlan(schemes);
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        for (Map.Entry<String, String> key : best.keys().entrySet()) {
            String source = key.getKey();
            if (!classifier && best.classifier().contains(source)) {
                continue;
            }
            Safetensors.Entry entry = entries.get(source);
            if (entry == null) {
                missing.add(source);
                continue;
            }
            Parameter target = ours.get(key.getValue());
            if (target == null || !target.isInitialized()) {
                throw new IllegalStateException("parameter " + key.getValue() + " of " + net.architecture()
                        + (target == null ? " does not exist" : " is not initialised: initialise the net first"));
            }
            Shape want = target.getArray().getShape();
            Shape have = new Shape(entry.shape());
            Adapt adapt = adaptation(source.equals(best.firstConv()), have, want);
            if (adapt == null || !entry.isFloat()) {
                wrongShape.add(source + " " + entry.dtype() + " " + have + " (expected " + want + ")");
                continue;
            }
            if (adapt != Adapt.NONE) {
                plan.firstConv = adapt.description;
            }
            plan.loaded.put(source, new Target(entry.name(), target, adapt));
        }
        List<String> unexpected = new ArrayList<>();
        for (String source : entries.keySet()) {
            if (best.keys().containsKey(source)) {
                if (!plan.loaded.containsKey(source) && best.classifier().contains(source)) {
                    plan.skipped++;
                }
            } else if (KeyMapping.ignorable(source)) {
                plan.skipped++;
            } else {
                unexpected.add(source);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            StringBuilder message = new StringBuilder(where).append(" does not fit the net:");
            list(message, "missing", missing);
            list(message, "unexpected", unexpected);
            list(message, "of the wrong shape", wrongShape);
            throw new BadInputException(message.toString());
        }
        return plan;
    }

    private static void list(StringBuilder message, String what, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        message.append("\n  ").append(keys.size()).append(keys.size() == 1 ? " key " : " keys ").append(what)
                .append(": ").append(String.join(", ", keys.subList(0, Math.min(keys.size(), LIST_AT_MOST))));
        if (keys.size() > LIST_AT_MOST) {
            message.append(", ... (").append(keys.size() - LIST_AT_MOST).append(" more)");
        }
    }

    /** "module." (DataParallel) or "model." prefixes shared by every key are dropped. */
    private static String commonPrefix(Safetensors st) {
        for (String prefix : new String[] {"module.", "model."}) {
            if (!st.keys().isEmpty() && st.keys().stream().allMatch(k -> k.startsWith(prefix))) {
                return prefix;
            }
        }
        return "";
    }

    static Map<String, Parameter> parameters(ClassifierNet net) {
        Map<String, Parameter> map = new LinkedHashMap<>();
        net.getParameters().forEach(p -> map.put(p.getKey(), p.getValue()));
        return map;
    }

    /** How a source tensor becomes ours. */
    enum Adapt {
        NONE("as is"),
        SUM_TO_ONE("3 -> 1 channel (sum)"),
        REPLICATE_TO_THREE("1 -> 3 channels (replicated / 3)");

        final String description;

        Adapt(String description) {
            this.description = description;
        }
    }

    /** Null when the shapes do not fit. Size-1 axes are ignored (layer scale (C, 1, 1) = (C)). */
    static Adapt adaptation(boolean firstConv, Shape have, Shape want) {
        if (squeeze(have).equals(squeeze(want))) {
            return Adapt.NONE;
        }
        if (firstConv && have.dimension() == 4 && want.dimension() == 4 && have.get(0) == want.get(0)
                && have.get(2) == want.get(2) && have.get(3) == want.get(3)) {
            if (have.get(1) == 3 && want.get(1) == 1) {
                return Adapt.SUM_TO_ONE;
            }
            if (have.get(1) == 1 && want.get(1) == 3) {
                return Adapt.REPLICATE_TO_THREE;
            }
        }
        return null;
    }

    private static List<Long> squeeze(Shape shape) {
        return Arrays.stream(shape.getShape()).filter(d -> d != 1).boxed().toList();
    }

    /** (O, 3, k, k) to (O, 1, k, k) by summing over the input channels, or (O, 1, k, k) to (O, 3, k, k) / 3. */
    static float[] adapt(float[] data, Shape have, Adapt adapt) {
        if (adapt == Adapt.NONE) {
            return data;
        }
        int out = (int) have.get(0);
        int plane = (int) (have.get(2) * have.get(3));
        if (adapt == Adapt.SUM_TO_ONE) {
            float[] result = new float[out * plane];
            for (int o = 0; o < out; o++) {
                for (int c = 0; c < 3; c++) {
                    for (int i = 0; i < plane; i++) {
                        result[o * plane + i] += data[(o * 3 + c) * plane + i];
                    }
                }
            }
            return result;
        }
        float[] result = new float[out * 3 * plane];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < plane; i++) {
                    result[(o * 3 + c) * plane + i] = data[o * plane + i] / 3f;
                }
            }
        }
        return result;
    }

    private record Target(String fileKey, Parameter parameter, Adapt adapt) {}

    private static final class LoadPlan {
        final String schemes;
        final Map<String, Target> loaded = new LinkedHashMap<>();
        int skipped;
        String firstConv = Adapt.NONE.description;

        LoadPlan(String schemes) {
            this.schemes = schemes;
        }

        void apply(ClassifierNet net, Safetensors st) {
            for (Target t : loaded.values()) {
                NDArray array = t.parameter().getArray();
                float[] data = adapt(st.floats(t.fileKey()), new Shape(st.entry(t.fileKey()).shape()), t.adapt());
                if (array.getDataType() == DataType.FLOAT32) {
                    array.set(FloatBuffer.wrap(data));
                } else if (array.getDataType() == DataType.FLOAT64) { // used by the float64 parity check
                    double[] wide = new double[data.length];
                    for (int i = 0; i < data.length; i++) {
                        wide[i] = data[i];
                    }
                    array.set(DoubleBuffer.wrap(wide));
                } else {
                    throw new IllegalStateException(t.parameter().getName() + " is " + array.getDataType());
                }
            }
        }
    }

    /**
     * Writes the net's parameters as float32 safetensors under torchvision or timm names (the classifier
     * included; BatchNorm's num_batches_tracked omitted), e.g. to use them with torchvision or timm, or to
     * load them back with {@link #loadInto}.
     */
    public static void export(ClassifierNet net, Path file, String scheme) {
        KeyMapping mapping = KeyMapping.of(net, scheme);
        if (mapping == null) {
            throw new BadInputException("architecture " + net.architecture() + " has no " + scheme + " names");
        }
        Map<String, Parameter> ours = parameters(net);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, String> key : mapping.keys().entrySet()) {
            NDArray array = ours.get(key.getValue()).getArray();
            long[] shape = array.getShape().getShape();
            if (key.getKey().endsWith(".layer_scale")) { // torchvision keeps it as (C, 1, 1)
                shape = new long[] {shape[0], 1, 1};
            }
            tensors.put(key.getKey(), new Safetensors.Tensor(shape, array.toFloatArray()));
        }
        Safetensors.write(file, tensors, Map.of("format", "pt", "architecture", net.architecture().name(),
                "scheme", scheme, "written_by", "pneuknow"));
    }
}
