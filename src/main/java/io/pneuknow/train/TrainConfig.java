package io.pneuknow.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.model.TorchScriptBackbone;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Every training setting, in five records by concern: {@link Model}, {@link Optimisation},
 * {@link Imbalance}, {@link Augmentation} and {@link Method}. Built with {@link #builder()} (from
 * the defaults) or {@link #toBuilder()}; checked with {@link #validated()}, which names the field of
 * each problem ({@code train.optimisation.batchSize 0: must be at least 1}).
 *
 * <p>Defaults (the initial values of {@link Builder}, the one place they live; {@link #defaults()}) follow Schaudt et al. (2023) where they
 * apply (alpha0 0.5, E_kd 40, student 60 epochs, teacher 20, Adam lr 1e-4, batch 8, dropout 0.5,
 * strong augmentation); the input is one grey channel by default (the reference replicated grey to
 * three channels for ImageNet weights, which we do not have).
 *
 * <p>In JSON (config.json's {@code train}, a study's {@code train}) the settings are written nested,
 * one object per record ({@code "optimisation": {"epochs": 60, ...}}); every field may be left out
 * and takes its default. The flat form of PneuKnow 0.2 ({@code "train": {"method": "hkd",
 * "epochs": 60, ...}}) is still read, field by field, into the same records (see {@link #fromJson}).
 */
public record TrainConfig(Model model, Optimisation optimisation, Imbalance imbalance, Augmentation augmentation,
                          Method method) {
    public static final String SHUFFLE = "shuffle";
    public static final String CLASS_BALANCED = "class-balanced";
    public static final String CROSS_ENTROPY = "cross-entropy";
    public static final String FOCAL = "focal";
    public static final String BY_LOSS = "loss";
    public static final String BY_BALANCED_ACCURACY = "balanced-accuracy";
    public static final String BY_MACRO_F1 = "macro-f1";
    public static final double DEFAULT_FOCAL_GAMMA = 2.0;
    public static final String FEATURES_RAW = "raw";
    public static final String FEATURES_CHANNEL = "channel";
    public static final String FEATURES_ATTENTION = "attention";
    public static final String LEVEL_LAST = "last";
    public static final String LEVEL_PREVIOUS = "previous";
    /** The settings that take one of a few names, by nested path, with those names (augment in any case). */
    public static final Map<String, List<String>> CHOICES = Map.of(
            "method.name", TrainingMethods.names(),
            "method.teacherInput", List.of("roi", "raw", "shuffled-roi"),
            "augmentation.augment", List.of("none", "weak", "strong"),
            "method.roiShape", List.of("mask", "box"),
            "method.featureNorm", List.of(FEATURES_RAW, FEATURES_CHANNEL, FEATURES_ATTENTION),
            "method.featureLevel", List.of(LEVEL_LAST, LEVEL_PREVIOUS),
            "method.unannotated", List.of("exclude", "whole-image"),
            "imbalance.sampling", List.of(SHUFFLE, CLASS_BALANCED),
            "imbalance.loss", List.of(CROSS_ENTROPY, FOCAL),
            "optimisation.selectBy", List.of(BY_LOSS, BY_BALANCED_ACCURACY, BY_MACRO_F1));

    /**
     * The network.
     *
     * @param architecture see README's list, or {@code torchscript} (the backbone is the file {@code pretrained})
     * @param inputSize input size in pixels, a multiple of 32
     * @param channels input channels, 1 or 3
     * @param dropout dropout before the linear head
     * @param pretrained weights every stage's network starts from instead of a random initialisation:
     *     a backbone folder written by {@code pneuknow pretrain} (or its backbone.json) or a
     *     {@code .safetensors} file with torchvision or timm names; with architecture
     *     {@code torchscript}, the TorchScript file that is the backbone. The classifier is always new.
     *     Null for none
     */
    public record Model(String architecture, int inputSize, int channels, float dropout, String pretrained) {
        /** A blank pretrained file is none. */
        public Model {
            pretrained = pretrained == null || pretrained.isBlank() ? null : pretrained;
        }
    }

    /**
     * How every stage is optimised and which epoch it keeps.
     *
     * @param epochs epochs of the baseline (and of the HKD student unless {@code studentEpochs})
     * @param studentEpochs epochs of the HKD student when they differ from {@code epochs}; null for the same
     * @param teacherEpochs epochs of the HKD teacher
     * @param learningRate Adam learning rate (the head's), on a cosine schedule
     * @param backboneLearningRate the backbone's learning rate, on the same schedule; null for the head's
     * @param perBatchSchedule step the schedule per batch, as the reference did
     * @param batchSize images per batch
     * @param freezeBackboneEpochs for this many first epochs of every stage only the head learns (backbone
     *     weights and BatchNorm statistics frozen); 0 for never
     * @param patience stop a stage after this many epochs without a new kept epoch; 0 for never. The HKD
     *     student gets {@code patience} epochs after the last epoch with a feature term
     * @param selectBy the validation metric that picks the kept epoch and drives early stopping:
     *     {@code loss} (lowest), {@code balanced-accuracy} or {@code macro-f1} (highest)
     * @param seed random seed
     * @param threads engine threads (0: all cores)
     * @param loaderThreads threads preparing batches
     * @param allowNoValidation train even when the validation part is empty (every stage then keeps its
     *     last epoch); false refuses such a run
     */
    public record Optimisation(int epochs, Integer studentEpochs, int teacherEpochs, float learningRate,
                               Double backboneLearningRate, boolean perBatchSchedule, int batchSize,
                               int freezeBackboneEpochs, int patience, String selectBy, long seed, int threads,
                               int loaderThreads, boolean allowNoValidation) {
    }

    /**
     * Class imbalance: how batches are drawn and how the classification loss weighs the classes.
     *
     * @param classWeights weight the loss by inverse class frequency
     * @param sampling {@code shuffle} (every image once, in a seeded random order) or {@code class-balanced}
     *     (as many draws as training images, with replacement, each class equally likely; seeded by seed,
     *     stage and epoch)
     * @param loss the classification loss of every stage (the HKD student's classification term too):
     *     {@code cross-entropy} or {@code focal}
     * @param focalGamma the focusing parameter gamma of the focal loss (0 gives cross-entropy)
     */
    public record Imbalance(boolean classWeights, String sampling, String loss, double focalGamma) {
    }

    /**
     * Image augmentation during training.
     *
     * @param augment none, weak or strong (in any case)
     */
    public record Augmentation(String augment) {
    }

    /**
     * The method and its options (the regions of interest and the distillation).
     *
     * @param name the training method (see {@link TrainingMethods}): baseline, hkd, energy or hkd-energy
     * @param teacherInput what the HKD teacher sees: roi (the method), raw (the reference's control) or
     *     shuffled-roi (control: an annotated image inside the regions of another annotated training image, a fixed
     *     pairing; no-finding images keep their empty ROI, so it tests the location only)
     * @param alpha0 the initial weight of the feature term (the paper's alpha0; {@code --alpha})
     * @param kdEpochs epochs over which the weight decays to 0 (the paper's E_kd; {@code --kd-epochs})
     * @param roiShape mask (a region's mask where it has one, else its box) or box
     * @param roiMargin pixels added around each region
     * @param noFindingClass the class whose images get an empty ROI; empty string for none
     * @param unannotated exclude or whole-image, for pathological images without regions
     * @param teacherFraction the reference's annotation-fraction control (study name {@code hkd-fraction-F}):
     *     the share of all training images the HKD teacher trains on (a seeded, class-stratified draw, fixed
     *     per seed), its epochs scaled by {@code 1 / teacherFraction} so it takes about as many steps; the
     *     student still distils on every training image. 1 for all
     * @param regionsKeptFraction the share of annotated training images whose regions are kept (a seeded
     *     subset; the others count as unannotated for the teacher and the student alike; study name
     *     {@code hkd-regions-kept-F}); 1 for all. Written {@code annotationFraction} by earlier versions,
     *     which is still read as this field, with a note
     * @param energyWeight lambda, the weight of the energy term (the CAM's energy outside the expert's
     *     regions, Rao et al. 2023) in the loss of the methods that have one ({@code energy},
     *     {@code hkd-energy}); ignored by the others
     * @param featureNorm how the distillation term compares the teacher's and the student's feature maps:
     *     raw (MSE over every element, the reference), channel (MSE after standardising each channel of
     *     each map over its positions) or attention (attention transfer, Zagoruyko and Komodakis 2017: the
     *     squared difference of the L2-normalised spatial maps of mean squared activation, weighted 500);
     *     {@code --feature-norm}
     * @param featureLevel which feature map the distillation term compares: last (the backbone's output,
     *     the reference) or previous (the map of the level before it, twice as fine: stride 16 for a
     *     stride-32 backbone); {@code --feature-level}
     */
    public record Method(String name, String teacherInput, float alpha0, int kdEpochs, String roiShape, int roiMargin,
                         String noFindingClass, String unannotated, double teacherFraction,
                         double regionsKeptFraction, float energyWeight, String featureNorm,
                         String featureLevel) {
        /**
         * The share of annotated images whose regions are kept.
         *
         * @deprecated renamed {@link #regionsKeptFraction()}: the reference's annotation-fraction control is
         *     {@link #teacherFraction()}
         */
        @Deprecated
        @com.fasterxml.jackson.annotation.JsonIgnore
        public double annotationFraction() {
            return regionsKeptFraction;
        }
    }

    /** The concerns, by their name in JSON. */
    private static final Map<String, Class<? extends Record>> CONCERNS = concerns();
    /** Every field by its nested path ({@code optimisation.batchSize}), with its type. */
    private static final Map<String, Class<?>> TYPES = types();
    /** The names of the flat form of PneuKnow 0.2, each with its nested path. */
    private static final Map<String, String> FLAT = flatNames();
    /** Fields renamed since they were first written, by their old nested path, with the new one. */
    private static final Map<String, String> RENAMED = Map.of("method.annotationFraction", "method.regionsKeptFraction");

    private static Map<String, Class<? extends Record>> concerns() {
        Map<String, Class<? extends Record>> c = new LinkedHashMap<>();
        c.put("model", Model.class);
        c.put("optimisation", Optimisation.class);
        c.put("imbalance", Imbalance.class);
        c.put("augmentation", Augmentation.class);
        c.put("method", Method.class);
        return c;
    }

    private static Map<String, Class<?>> types() {
        Map<String, Class<?>> t = new LinkedHashMap<>();
        CONCERNS.forEach((concern, type) -> {
            for (RecordComponent c : type.getRecordComponents()) {
                t.put(concern + "." + c.getName(), c.getType());
            }
        });
        return t;
    }

    private static Map<String, String> flatNames() {
        Map<String, String> f = new LinkedHashMap<>();
        TYPES.keySet().forEach(path -> f.put(path.equals("method.name") ? "method" : path.substring(path.indexOf('.') + 1),
                path));
        // the flat form of PneuKnow 0.2 wrote the regions-kept share as annotationFraction
        f.put("annotationFraction", "method.regionsKeptFraction");
        return f;
    }

    /** The defaults (the initial values of {@link Builder}): the command line's when a flag is not given, and a JSON file's when a field is left out. */
    public static TrainConfig defaults() {
        return builder().build();
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder().model(model).optimisation(optimisation).imbalance(imbalance).augmentation(augmentation)
                .method(method);
    }

    /**
     * The settings of the demo and the mechanism test on {@code SyntheticChestXrays.Spec.shortcutTask}:
     * tiny_cnn at 64 px, 40 epochs with distillation decaying over all of them, lr 1e-3, batch 16,
     * weak augmentation, no dropout.
     */
    public static TrainConfig shortcutTask(String method, String teacherInput, long seed, int threads) {
        return builder().method(method).teacherInput(teacherInput).architecture("tiny_cnn").inputSize(64).dropout(0f)
                .epochs(40).teacherEpochs(15).kdEpochs(40).learningRate(1e-3f).batchSize(16).augment("weak")
                .seed(seed).threads(threads).build();
    }

    /** Checks every value; all problems in one exception, each naming its field ({@code train.model.channels 2: ...}). */
    public TrainConfig validated() {
        StringBuilder problems = new StringBuilder();
        Model m = model;
        Optimisation o = optimisation;
        Imbalance i = imbalance;
        Method d = method;
        choice(problems, "method.name", d.name());
        choice(problems, "method.teacherInput", d.teacherInput());
        check(problems, "model.inputSize", m.inputSize(), m.inputSize() >= 32 && m.inputSize() % 32 == 0,
                "must be a positive multiple of 32, e.g. 224");
        check(problems, "model.channels", m.channels(), m.channels() == 1 || m.channels() == 3, "must be 1 or 3");
        check(problems, "model.dropout", m.dropout(), m.dropout() >= 0 && m.dropout() < 1, "must be in [0, 1)");
        check(problems, "optimisation.epochs", o.epochs(), o.epochs() >= 1, "must be at least 1");
        check(problems, "optimisation.studentEpochs", o.studentEpochs(), o.studentEpochs() == null || o.studentEpochs() >= 1,
                "must be at least 1 (or left out for the same as epochs)");
        check(problems, "optimisation.teacherEpochs", o.teacherEpochs(), o.teacherEpochs() >= 1, "must be at least 1");
        check(problems, "method.alpha0", d.alpha0(), d.alpha0() >= 0 && d.alpha0() <= 1, "must be in [0, 1]");
        check(problems, "method.kdEpochs", d.kdEpochs(), d.kdEpochs() >= 0, "must be 0 or more");
        check(problems, "optimisation.learningRate", o.learningRate(), o.learningRate() > 0, "must be positive");
        check(problems, "optimisation.batchSize", o.batchSize(), o.batchSize() >= 1, "must be at least 1");
        choice(problems, "method.roiShape", d.roiShape());
        choice(problems, "method.featureNorm", d.featureNorm());
        choice(problems, "method.featureLevel", d.featureLevel());
        choice(problems, "augmentation.augment", augmentation.augment());
        check(problems, "method.roiMargin", d.roiMargin(), d.roiMargin() >= 0, "must be 0 or more pixels");
        choice(problems, "method.unannotated", d.unannotated());
        check(problems, "optimisation.threads", o.threads(), o.threads() >= 0, "must be 0 (all cores) or more");
        check(problems, "method.teacherFraction", d.teacherFraction(),
                d.teacherFraction() > 0 && d.teacherFraction() <= 1, "must be in (0, 1]");
        check(problems, "method.regionsKeptFraction", d.regionsKeptFraction(),
                d.regionsKeptFraction() > 0 && d.regionsKeptFraction() <= 1, "must be in (0, 1]");
        check(problems, "optimisation.loaderThreads", o.loaderThreads(), o.loaderThreads() >= 1, "must be at least 1");
        choice(problems, "imbalance.sampling", i.sampling());
        choice(problems, "imbalance.loss", i.loss());
        check(problems, "imbalance.focalGamma", i.focalGamma(), i.focalGamma() >= 0 && !Double.isInfinite(i.focalGamma()),
                "must be a number of 0 or more (0 is cross-entropy; 2 is usual)");
        choice(problems, "optimisation.selectBy", o.selectBy());
        check(problems, "optimisation.patience", o.patience(), o.patience() >= 0,
                "must be 0 (no early stopping) or more epochs");
        check(problems, "model.pretrained", m.pretrained(), m.pretrained() == null || Files.exists(Path.of(m.pretrained())),
                "does not exist; give a backbone folder from 'pneuknow pretrain' or a .safetensors file");
        check(problems, "model.architecture", m.architecture(),
                !TorchScriptBackbone.named(m.architecture()) || m.pretrained() != null,
                "needs --pretrained FILE, the TorchScript backbone to train (see README)");
        check(problems, "optimisation.freezeBackboneEpochs", o.freezeBackboneEpochs(), o.freezeBackboneEpochs() >= 0,
                "must be 0 (never) or more");
        check(problems, "optimisation.backboneLearningRate", o.backboneLearningRate(), o.backboneLearningRate() == null
                        || (o.backboneLearningRate() >= 0 && !o.backboneLearningRate().isInfinite()),
                "must be 0 or more (or left out for the head's)");
        check(problems, "method.energyWeight", d.energyWeight(), d.energyWeight() >= 0 && !Float.isInfinite(d.energyWeight()),
                "must be a number of 0 or more (the weight of the energy term; 0 leaves it out of the gradient)");
        if (!problems.isEmpty()) {
            throw new BadInputException(problems.toString().strip());
        }
        return this;
    }

    private static void check(StringBuilder problems, String path, Object value, boolean ok, String message) {
        if (!ok) {
            problems.append("train.").append(path).append(' ').append(value).append(": ").append(message).append('\n');
        }
    }

    private static void choice(StringBuilder problems, String path, String value) {
        if (!allowed(path, value)) {
            problems.append("train.").append(path).append(" '").append(value).append("': unknown; use ")
                    .append(words(CHOICES.get(path))).append('\n');
        }
    }

    /** "a, b or c". */
    private static String words(List<String> names) {
        return names.size() == 1 ? names.get(0)
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    /**
     * Training settings from JSON (a study's {@code train}, a config.json's {@code train}), nested or
     * in the flat form of PneuKnow 0.2 (read field by field into the records, with a one-line note to
     * standard error): a field left out (or null) takes its value in {@link #defaults()}; an unknown
     * field, a value of the wrong type or a name outside {@link #CHOICES} is refused with the field
     * named as {@code where.field} (e.g. {@code study.json: train.augmentation.augment "medium" is not
     * one of none, weak, strong}; in a flat file, {@code train.augment}). Values are not range-checked
     * here: {@link #validated()} does that.
     */
    public static TrainConfig fromJson(JsonNode node, String where) {
        return fromJson(node, where, System.err::println);
    }

    /** {@link #fromJson(JsonNode, String)}, giving the note on a flat file to {@code note}. */
    public static TrainConfig fromJson(JsonNode node, String where, Consumer<String> note) {
        List<String> problems = new ArrayList<>();
        ObjectNode nested = nested(node, where, problems, true);
        if (!problems.isEmpty()) {
            throw new BadInputException(String.join("\n", problems));
        }
        if (isFlat(node)) {
            note.accept(flatNote(node, where));
        } else if (renamedGiven(node) != null) {
            note.accept(where + "." + renamedGiven(node) + " is now " + RENAMED.get(renamedGiven(node))
                    + " (the share of annotated images whose regions are kept; the reference's annotation-fraction"
                    + " control, the teacher on a share of the images, is method.teacherFraction); read as that");
        }
        return of(nested);
    }

    /** The first renamed field (its old nested path) that nested JSON settings give, or null. */
    private static String renamedGiven(JsonNode node) {
        for (String old : RENAMED.keySet()) {
            JsonNode concern = node == null ? null : node.get(concern(old));
            if (concern != null && concern.isObject() && concern.has(field(old))) {
                return old;
            }
        }
        return null;
    }

    /** What is wrong with training settings in JSON, one line per field (see {@link #fromJson}); empty when nothing. */
    public static List<String> jsonProblems(JsonNode node, String where) {
        List<String> problems = new ArrayList<>();
        nested(node, where, problems, true);
        return problems;
    }

    /** How Jackson reads the settings (a study folder's study.json, a model's model.json): nested or flat, quietly. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static TrainConfig fromTree(JsonNode node) {
        List<String> problems = new ArrayList<>();
        ObjectNode nested = nested(node, "train", problems, false);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return of(nested);
    }

    /**
     * These settings with {@code overrides} (JSON, nested or flat, as a study's variant gives them) set
     * on top; an override that is not a setting or has the wrong type is refused.
     */
    public TrainConfig with(JsonNode overrides) {
        List<String> problems = new ArrayList<>();
        ObjectNode merged = nested(overrides, Json.MAPPER.valueToTree(this), "overrides", problems, false);
        if (!problems.isEmpty()) {
            throw new BadInputException(String.join("\n", problems));
        }
        return of(merged);
    }

    /**
     * The settings that JSON (nested or flat) gives a value, each by its nested path, with its name as
     * written ({@code method.name} in the nested form, {@code method} in the flat one); unknown fields are left out.
     */
    public static Map<String, String> givenPaths(JsonNode node) {
        Map<String, String> given = new LinkedHashMap<>();
        if (node == null || !node.isObject()) {
            return given;
        }
        boolean flat = isFlat(node);
        node.fields().forEachRemaining(f -> {
            if (flat && FLAT.containsKey(f.getKey())) {
                given.put(FLAT.get(f.getKey()), f.getKey());
            } else if (!flat && f.getValue().isObject()) {
                f.getValue().fieldNames().forEachRemaining(g -> {
                    String path = RENAMED.getOrDefault(f.getKey() + "." + g, f.getKey() + "." + g);
                    if (TYPES.containsKey(path)) {
                        given.put(path, f.getKey() + "." + g);
                    }
                });
            }
        });
        return given;
    }

    /**
     * Only the settings that JSON (nested or flat) gives, in the nested form, values as given: two
     * spellings of the same overrides (a study's variant written flat and nested) give equal nodes.
     */
    public static ObjectNode givenNested(JsonNode node) {
        ObjectNode nested = Json.MAPPER.createObjectNode();
        givenPaths(node).forEach((path, written) -> {
            JsonNode value = isFlat(node) ? node.get(written) : node.get(concern(written)).get(field(written));
            nested.withObjectProperty(concern(path)).set(field(path), value);
        });
        return nested;
    }

    /** Whether JSON settings are in the flat form of PneuKnow 0.2: a field that is not a concern object. */
    public static boolean isFlat(JsonNode node) {
        if (node == null || !node.isObject()) {
            return false;
        }
        var fields = node.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            if (!CONCERNS.containsKey(f.getKey()) || !(f.getValue().isObject() || f.getValue().isNull())) {
                return true;
            }
        }
        return false;
    }

    private static String flatNote(JsonNode node, String where) {
        StringBuilder note = new StringBuilder(where + " uses the flat settings of PneuKnow 0.2; read as the nested"
                + " settings (model, optimisation, imbalance, augmentation, method)");
        if (node.has("method")) {
            note.append("; method is now method.name");
        }
        if (node.has("annotationFraction")) {
            note.append("; annotationFraction is now method.regionsKeptFraction (the reference's annotation-fraction"
                    + " control is method.teacherFraction)");
        }
        return note.append(". A run writes the nested form").toString();
    }

    /**
     * The settings in nested form with every field present: the given values over the defaults.
     * Problems (unknown field, wrong type, and with {@code checkChoices} a name outside {@link #CHOICES})
     * are added to {@code problems}, naming each field as written.
     */
    private static ObjectNode nested(JsonNode node, String where, List<String> problems, boolean checkChoices) {
        return nested(node, Json.MAPPER.valueToTree(defaults()), where, problems, checkChoices);
    }

    /** {@link #nested(JsonNode, String, List, boolean)} over {@code merged} (nested, every field present) instead of the defaults. */
    private static ObjectNode nested(JsonNode node, ObjectNode merged, String where, List<String> problems,
                                     boolean checkChoices) {
        if (node == null || node.isNull()) {
            return merged;
        }
        if (!node.isObject()) {
            problems.add(where + " " + node + " is not an object of training settings; compare with a run's config.json");
            return merged;
        }
        boolean flat = isFlat(node);
        node.fields().forEachRemaining(f -> {
            if (flat) {
                String path = FLAT.get(f.getKey());
                if (path == null && f.getValue().isObject()) {
                    problems.add(where + "." + f.getKey() + " is not a group of training settings; the groups are "
                            + String.join(", ", CONCERNS.keySet()));
                } else if (path == null) {
                    problems.add(where + "." + f.getKey() + " is not a training setting; the settings are "
                            + String.join(", ", FLAT.keySet()));
                } else {
                    set(merged, path, f.getValue(), where + "." + f.getKey(), problems, checkChoices);
                }
            } else if (f.getValue() != null && f.getValue().isObject()) {
                f.getValue().fields().forEachRemaining(g -> {
                    String path = RENAMED.getOrDefault(f.getKey() + "." + g.getKey(), f.getKey() + "." + g.getKey());
                    String field = where + "." + f.getKey() + "." + g.getKey();
                    if (!TYPES.containsKey(path)) {
                        problems.add(field + " is not a training setting; the " + f.getKey() + " settings are "
                                + String.join(", ", TYPES.keySet().stream().filter(p -> p.startsWith(f.getKey() + "."))
                                .map(TrainConfig::field).toList()));
                    } else {
                        set(merged, path, g.getValue(), field, problems, checkChoices);
                    }
                });
            }
        });
        return merged;
    }

    private static void set(ObjectNode merged, String path, JsonNode value, String field, List<String> problems,
                            boolean checkChoices) {
        if (value.isNull()) {
            return;
        }
        String typeProblem = typeProblem(TYPES.get(path), value);
        if (typeProblem != null) {
            problems.add(field + " " + value + " is not " + typeProblem);
        } else if (checkChoices && CHOICES.containsKey(path) && !allowed(path, value.asText())) {
            problems.add(field + " " + value + " is not one of " + String.join(", ", CHOICES.get(path)));
        } else {
            ((ObjectNode) merged.get(concern(path))).set(field(path), value);
        }
    }

    private static TrainConfig of(ObjectNode nested) {
        try {
            return new TrainConfig(
                    Json.MAPPER.treeToValue(nested.get("model"), Model.class),
                    Json.MAPPER.treeToValue(nested.get("optimisation"), Optimisation.class),
                    Json.MAPPER.treeToValue(nested.get("imbalance"), Imbalance.class),
                    Json.MAPPER.treeToValue(nested.get("augmentation"), Augmentation.class),
                    Json.MAPPER.treeToValue(nested.get("method"), Method.class));
        } catch (IOException e) {
            throw new IllegalStateException("settings checked field by field did not read: " + e.getMessage(), e);
        }
    }

    private static String concern(String path) {
        return path.substring(0, path.indexOf('.'));
    }

    private static String field(String path) {
        return path.substring(path.indexOf('.') + 1);
    }

    /** What a JSON value should have been for a field of {@code type} ("a whole number", ...), or null when it fits. */
    private static String typeProblem(Class<?> type, JsonNode value) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return value.isIntegralNumber() && value.canConvertToLong() ? null : "a whole number";
        }
        if (type == float.class || type == Float.class || type == double.class || type == Double.class) {
            return value.isNumber() ? null : "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return value.isBoolean() ? null : "true or false";
        }
        return value.isTextual() ? null : "text (in quotes)";
    }

    /** Whether {@code value} is one of the names of the setting at {@code path} (augment in any case). */
    private static boolean allowed(String path, String value) {
        if (value == null) {
            return false;
        }
        return CHOICES.get(path).contains(path.equals("augmentation.augment")
                ? value.strip().toLowerCase(Locale.ROOT) : value);
    }

    /** The same settings with other values for the fields a study varies. */
    public TrainConfig with(String newMethod, String newTeacherInput, String newArchitecture, long newSeed,
                            double newTeacherFraction, double newRegionsKeptFraction) {
        return toBuilder().method(newMethod).teacherInput(newTeacherInput).architecture(newArchitecture).seed(newSeed)
                .teacherFraction(newTeacherFraction).regionsKeptFraction(newRegionsKeptFraction).build();
    }

    // Shortcuts to the values that training reads most.

    public String architecture() {
        return model.architecture();
    }

    public int inputSize() {
        return model.inputSize();
    }

    public int channels() {
        return model.channels();
    }

    public float dropout() {
        return model.dropout();
    }

    public String pretrained() {
        return model.pretrained();
    }

    public int epochs() {
        return optimisation.epochs();
    }

    public Integer studentEpochs() {
        return optimisation.studentEpochs();
    }

    public int teacherEpochs() {
        return optimisation.teacherEpochs();
    }

    public float learningRate() {
        return optimisation.learningRate();
    }

    public Double backboneLearningRate() {
        return optimisation.backboneLearningRate();
    }

    public boolean perBatchSchedule() {
        return optimisation.perBatchSchedule();
    }

    public int batchSize() {
        return optimisation.batchSize();
    }

    public int freezeBackboneEpochs() {
        return optimisation.freezeBackboneEpochs();
    }

    public int patience() {
        return optimisation.patience();
    }

    public String selectBy() {
        return optimisation.selectBy();
    }

    public long seed() {
        return optimisation.seed();
    }

    public int threads() {
        return optimisation.threads();
    }

    public int loaderThreads() {
        return optimisation.loaderThreads();
    }

    public boolean allowNoValidation() {
        return optimisation.allowNoValidation();
    }

    public boolean classWeights() {
        return imbalance.classWeights();
    }

    public String sampling() {
        return imbalance.sampling();
    }

    public String loss() {
        return imbalance.loss();
    }

    public double focalGamma() {
        return imbalance.focalGamma();
    }

    public String augment() {
        return augmentation.augment();
    }

    public String teacherInput() {
        return method.teacherInput();
    }

    public float alpha0() {
        return method.alpha0();
    }

    public int kdEpochs() {
        return method.kdEpochs();
    }

    public String roiShape() {
        return method.roiShape();
    }

    public int roiMargin() {
        return method.roiMargin();
    }

    public String noFindingClass() {
        return method.noFindingClass();
    }

    public String unannotated() {
        return method.unannotated();
    }

    /** Which feature map the distillation term compares (last or previous). */
    public String featureLevel() {
        return method.featureLevel();
    }

    /** How the distillation term compares the feature maps (raw, channel or attention). */
    public String featureNorm() {
        return method.featureNorm();
    }

    /** The weight of the energy term, for the methods that have one. */
    public float energyWeight() {
        return method.energyWeight();
    }

    /** The share of all training images the HKD teacher trains on (its epochs scaled by the inverse). */
    public double teacherFraction() {
        return method.teacherFraction();
    }

    /** The share of annotated training images whose regions are kept (for the teacher and the student). */
    public double regionsKeptFraction() {
        return method.regionsKeptFraction();
    }

    /**
     * The share of annotated training images whose regions are kept.
     *
     * @deprecated renamed {@link #regionsKeptFraction()}; the reference's control is {@link #teacherFraction()}
     */
    @Deprecated
    public double fractionOfAnnotations() {
        return regionsKeptFraction();
    }

    /** The backbone's learning rate as a multiple of the head's (1 when not set). */
    public float backboneRateScale() {
        return backboneLearningRate() == null ? 1f : (float) (backboneLearningRate() / learningRate());
    }

    /** Epochs of the network this run delivers: the student's for HKD, else the baseline's. */
    public int finalStageEpochs() {
        return distills() && studentEpochs() != null ? studentEpochs() : epochs();
    }

    /** Whether training batches are drawn class-balanced rather than shuffled. */
    public boolean balancedSampling() {
        return CLASS_BALANCED.equals(sampling());
    }

    /**
     * Whether training makes the model learn a uniform class prior: class-balanced sampling or
     * inverse-frequency class weights, one of them (with both, the small classes count twice over).
     */
    public boolean learnsUniformPrior() {
        return balancedSampling() != classWeights();
    }

    /** The gamma of the classification loss: {@code focalGamma} for focal loss, 0 (cross-entropy) otherwise. */
    public double lossGamma() {
        return FOCAL.equals(loss()) ? focalGamma() : 0;
    }

    public boolean distills() {
        return TrainingMethods.find(method.name()).map(TrainingMethod::distills).orElse(false);
    }

    public RoiPolicy roiPolicy() {
        String none = method.noFindingClass();
        return new RoiPolicy(none == null || none.isBlank() ? null : none, RoiPolicy.Unannotated.parse(method.unannotated()));
    }

    /**
     * One setter per field, starting from the defaults, which live here (Schaudt et al. 2023 where they
     * apply); {@link #build()} gives the settings (unchecked: see {@link #validated()}).
     */
    public static final class Builder {
        private String architecture = "resnet18";
        private int inputSize = 224;
        private int channels = 1;
        private float dropout = 0.5f;
        private String pretrained = null;
        private int epochs = 60;
        private Integer studentEpochs = null;
        private int teacherEpochs = 20;
        private float learningRate = 1e-4f;
        private Double backboneLearningRate = null;
        private boolean perBatchSchedule = false;
        private int batchSize = 8;
        private int freezeBackboneEpochs = 0;
        private int patience = 0;
        private String selectBy = BY_LOSS;
        private long seed = 42;
        private int threads = 0;
        private int loaderThreads = 1;
        private boolean allowNoValidation = false;
        private boolean classWeights = false;
        private String sampling = SHUFFLE;
        private String loss = CROSS_ENTROPY;
        private double focalGamma = DEFAULT_FOCAL_GAMMA;
        private String augment = "strong";
        private String method = TrainingMethods.reference().name();
        private String teacherInput = "roi";
        private float alpha0 = 0.5f;
        private int kdEpochs = 40;
        private String roiShape = "mask";
        private int roiMargin = 0;
        private String noFindingClass = "healthy";
        private String unannotated = "exclude";
        private double teacherFraction = 1.0;
        private double regionsKeptFraction = 1.0;
        private float energyWeight = 1.0f;
        private String featureNorm = FEATURES_RAW;
        private String featureLevel = LEVEL_LAST;

        private Builder() {
        }

        public Builder model(Model m) {
            architecture = m.architecture();
            inputSize = m.inputSize();
            channels = m.channels();
            dropout = m.dropout();
            pretrained = m.pretrained();
            return this;
        }

        public Builder optimisation(Optimisation o) {
            epochs = o.epochs();
            studentEpochs = o.studentEpochs();
            teacherEpochs = o.teacherEpochs();
            learningRate = o.learningRate();
            backboneLearningRate = o.backboneLearningRate();
            perBatchSchedule = o.perBatchSchedule();
            batchSize = o.batchSize();
            freezeBackboneEpochs = o.freezeBackboneEpochs();
            patience = o.patience();
            selectBy = o.selectBy();
            seed = o.seed();
            threads = o.threads();
            loaderThreads = o.loaderThreads();
            allowNoValidation = o.allowNoValidation();
            return this;
        }

        public Builder imbalance(Imbalance i) {
            classWeights = i.classWeights();
            sampling = i.sampling();
            loss = i.loss();
            focalGamma = i.focalGamma();
            return this;
        }

        public Builder augmentation(Augmentation a) {
            augment = a.augment();
            return this;
        }

        public Builder method(Method d) {
            method = d.name();
            teacherInput = d.teacherInput();
            alpha0 = d.alpha0();
            kdEpochs = d.kdEpochs();
            roiShape = d.roiShape();
            roiMargin = d.roiMargin();
            noFindingClass = d.noFindingClass();
            unannotated = d.unannotated();
            teacherFraction = d.teacherFraction();
            regionsKeptFraction = d.regionsKeptFraction();
            energyWeight = d.energyWeight();
            featureNorm = d.featureNorm();
            featureLevel = d.featureLevel();
            return this;
        }

        public Builder architecture(String v) {
            architecture = v;
            return this;
        }

        public Builder inputSize(int v) {
            inputSize = v;
            return this;
        }

        public Builder channels(int v) {
            channels = v;
            return this;
        }

        public Builder dropout(float v) {
            dropout = v;
            return this;
        }

        public Builder pretrained(String v) {
            pretrained = v;
            return this;
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder studentEpochs(Integer v) {
            studentEpochs = v;
            return this;
        }

        public Builder teacherEpochs(int v) {
            teacherEpochs = v;
            return this;
        }

        public Builder learningRate(float v) {
            learningRate = v;
            return this;
        }

        public Builder backboneLearningRate(Double v) {
            backboneLearningRate = v;
            return this;
        }

        public Builder perBatchSchedule(boolean v) {
            perBatchSchedule = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder freezeBackboneEpochs(int v) {
            freezeBackboneEpochs = v;
            return this;
        }

        public Builder patience(int v) {
            patience = v;
            return this;
        }

        public Builder selectBy(String v) {
            selectBy = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder threads(int v) {
            threads = v;
            return this;
        }

        public Builder loaderThreads(int v) {
            loaderThreads = v;
            return this;
        }

        public Builder allowNoValidation(boolean v) {
            allowNoValidation = v;
            return this;
        }

        public Builder classWeights(boolean v) {
            classWeights = v;
            return this;
        }

        public Builder sampling(String v) {
            sampling = v;
            return this;
        }

        public Builder loss(String v) {
            loss = v;
            return this;
        }

        public Builder focalGamma(double v) {
            focalGamma = v;
            return this;
        }

        public Builder augment(String v) {
            augment = v;
            return this;
        }

        /** The method's name, one of {@link TrainingMethods#names()}. */
        public Builder method(String v) {
            method = v;
            return this;
        }

        public Builder teacherInput(String v) {
            teacherInput = v;
            return this;
        }

        public Builder alpha0(float v) {
            alpha0 = v;
            return this;
        }

        public Builder kdEpochs(int v) {
            kdEpochs = v;
            return this;
        }

        public Builder roiShape(String v) {
            roiShape = v;
            return this;
        }

        public Builder roiMargin(int v) {
            roiMargin = v;
            return this;
        }

        public Builder noFindingClass(String v) {
            noFindingClass = v;
            return this;
        }

        public Builder unannotated(String v) {
            unannotated = v;
            return this;
        }

        /** The share of all training images the HKD teacher trains on, in (0, 1] (see {@link Method}). */
        public Builder teacherFraction(double v) {
            teacherFraction = v;
            return this;
        }

        /** The share of annotated training images whose regions are kept, in (0, 1] (see {@link Method}). */
        public Builder regionsKeptFraction(double v) {
            regionsKeptFraction = v;
            return this;
        }

        /**
         * The share of annotated training images whose regions are kept.
         *
         * @deprecated renamed {@link #regionsKeptFraction(double)}; the reference's control is
         *     {@link #teacherFraction(double)}
         */
        @Deprecated
        public Builder annotationFraction(double v) {
            return regionsKeptFraction(v);
        }

        /** The weight of the energy term (lambda), for the methods that have one. */
        public Builder energyWeight(float v) {
            energyWeight = v;
            return this;
        }

        /** How the distillation term compares the feature maps: raw, channel or attention. */
        public Builder featureNorm(String v) {
            featureNorm = v;
            return this;
        }

        /** Which feature map the distillation term compares: last or previous. */
        public Builder featureLevel(String v) {
            featureLevel = v;
            return this;
        }

        public TrainConfig build() {
            return new TrainConfig(
                    new Model(architecture, inputSize, channels, dropout, pretrained),
                    new Optimisation(epochs, studentEpochs, teacherEpochs, learningRate, backboneLearningRate,
                            perBatchSchedule, batchSize, freezeBackboneEpochs, patience, selectBy, seed, threads,
                            loaderThreads, allowNoValidation),
                    new Imbalance(classWeights, sampling, loss, focalGamma),
                    new Augmentation(augment),
                    new Method(method, teacherInput, alpha0, kdEpochs, roiShape, roiMargin, noFindingClass,
                            unannotated, teacherFraction, regionsKeptFraction, energyWeight, featureNorm,
                            featureLevel));
        }
    }
}
