package io.pneuknow.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.model.TorchScriptBackbone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every training setting, as flags or as a plain JSON file of the same names; a run writes it back
 * fully resolved. Defaults follow Schaudt et al. (2023) where they apply (alpha0 0.5, E_kd 40,
 * student 60 epochs, teacher 20, Adam lr 1e-4, batch 8, dropout 0.5, strong augmentation); the
 * input is one grey channel by default (the reference replicated grey to three channels for
 * ImageNet weights, which we do not have).
 *
 * @param method baseline or hkd
 * @param teacherInput what the HKD teacher sees: roi (the method), raw (the reference's control:
 *     a teacher trained on raw images) or shuffled-roi (control: this image inside the region of
 *     another training image, a fixed pairing, in both stages)
 * @param roiShape mask (a region's mask where it has one, else its box) or box
 * @param unannotated exclude or whole-image, for pathological images without regions
 * @param noFindingClass the class whose images get an empty ROI; empty string for none
 * @param threads engine threads (0: all cores)
 * @param annotationFraction the share of annotated training images whose regions the teacher may
 *     use (a seeded subset; the others count as unannotated); null or 1 for all
 * @param studentEpochs epochs of the HKD student when they differ from the baseline's
 *     ({@code epochs}); null for the same
 * @param sampling how each epoch's training batches are drawn: {@code shuffle} (every image once,
 *     in a seeded random order) or {@code class-balanced} (as many draws as training images, with
 *     replacement, each class equally likely, then an image of it uniformly; seeded by seed, stage
 *     and epoch)
 * @param loss the classification loss of every stage (for the HKD student, its classification
 *     term): {@code cross-entropy} or {@code focal}; class weights ({@code classWeights}) apply to
 *     either
 * @param focalGamma the focusing parameter gamma of the focal loss (0 gives cross-entropy)
 * @param selectBy the validation metric that picks the kept epoch of every stage and drives early
 *     stopping: {@code loss} (lowest), {@code balanced-accuracy} or {@code macro-f1} (highest)
 * @param patience stop a stage after this many epochs without a new kept epoch; 0 for never. The
 *     HKD student is never stopped before its feature term has decayed: it gets {@code patience}
 *     epochs after the last epoch with a feature term
 * @param pretrained weights every stage's network starts from instead of a random initialisation:
 *     a backbone folder written by {@code pneuknow pretrain} (or its backbone.json) or a
 *     {@code .safetensors} file with torchvision or timm names; with architecture
 *     {@code torchscript}, the TorchScript file that is the backbone. The classifier is always new.
 *     Null for none
 * @param freezeBackboneEpochs for this many first epochs of every stage only the head learns: the
 *     backbone's weights are not updated and it runs in inference mode (BatchNorm statistics
 *     frozen too); 0 for never
 * @param backboneLearningRate the backbone's learning rate, following the same schedule as
 *     {@code learningRate} (the head's); null for the same as the head's
 * @param allowNoValidation train even when the validation part is empty (every stage then keeps its
 *     last epoch); false (the default) refuses such a run, since its kept epoch would be chosen by nothing
 *
 * <p>In a JSON file (a study's {@code train}, a config.json's {@code train}) every field may be
 * left out: {@link #fromJson} gives it its value in {@link #defaults()}, the same as the command
 * line's. The last nine fields were added later; their defaults are the behaviour before they
 * existed (shuffle, cross-entropy, gamma 2, loss, no early stopping, random initialisation,
 * nothing frozen, one learning rate, validation required), so an older config.json or study file
 * reads as the same settings.
 */
public record TrainConfig(String method, String teacherInput, String architecture, int inputSize, int channels,
                          float dropout, int epochs, int teacherEpochs, float alpha0, int kdEpochs,
                          float learningRate, boolean perBatchSchedule, int batchSize, boolean classWeights,
                          String augment, String roiShape, int roiMargin, String noFindingClass, String unannotated,
                          long seed, int threads, int loaderThreads, Double annotationFraction,
                          Integer studentEpochs, String sampling, String loss, Double focalGamma,
                          String selectBy, Integer patience, String pretrained, Integer freezeBackboneEpochs,
                          Double backboneLearningRate, Boolean allowNoValidation) {
    public static final String SHUFFLE = "shuffle";
    public static final String CLASS_BALANCED = "class-balanced";
    public static final String CROSS_ENTROPY = "cross-entropy";
    public static final String FOCAL = "focal";
    public static final String BY_LOSS = "loss";
    public static final String BY_BALANCED_ACCURACY = "balanced-accuracy";
    public static final String BY_MACRO_F1 = "macro-f1";
    public static final double DEFAULT_FOCAL_GAMMA = 2.0;
    /** The settings that take one of a few names, with those names (augment in any case). */
    public static final Map<String, List<String>> CHOICES = Map.of(
            "method", List.of("baseline", "hkd"),
            "teacherInput", List.of("roi", "raw", "shuffled-roi"),
            "augment", List.of("none", "weak", "strong"),
            "roiShape", List.of("mask", "box"),
            "unannotated", List.of("exclude", "whole-image"),
            "sampling", List.of(SHUFFLE, CLASS_BALANCED),
            "loss", List.of(CROSS_ENTROPY, FOCAL),
            "selectBy", List.of(BY_LOSS, BY_BALANCED_ACCURACY, BY_MACRO_F1));

    /** Left-out imbalance settings take the defaults (the behaviour before they existed). */
    public TrainConfig {
        sampling = sampling == null ? SHUFFLE : sampling;
        loss = loss == null ? CROSS_ENTROPY : loss;
        focalGamma = focalGamma == null ? DEFAULT_FOCAL_GAMMA : focalGamma;
        selectBy = selectBy == null ? BY_LOSS : selectBy;
        patience = patience == null ? 0 : patience;
        pretrained = pretrained == null || pretrained.isBlank() ? null : pretrained;
        freezeBackboneEpochs = freezeBackboneEpochs == null ? 0 : freezeBackboneEpochs;
        allowNoValidation = allowNoValidation != null && allowNoValidation;
    }

    /** The settings with validation required (the constructor from before {@code allowNoValidation} existed). */
    public TrainConfig(String method, String teacherInput, String architecture, int inputSize, int channels,
                       float dropout, int epochs, int teacherEpochs, float alpha0, int kdEpochs, float learningRate,
                       boolean perBatchSchedule, int batchSize, boolean classWeights, String augment, String roiShape,
                       int roiMargin, String noFindingClass, String unannotated, long seed, int threads,
                       int loaderThreads, Double annotationFraction, Integer studentEpochs, String sampling,
                       String loss, Double focalGamma, String selectBy, Integer patience, String pretrained,
                       Integer freezeBackboneEpochs, Double backboneLearningRate) {
        this(method, teacherInput, architecture, inputSize, channels, dropout, epochs, teacherEpochs, alpha0, kdEpochs,
                learningRate, perBatchSchedule, batchSize, classWeights, augment, roiShape, roiMargin, noFindingClass,
                unannotated, seed, threads, loaderThreads, annotationFraction, studentEpochs, sampling, loss, focalGamma,
                selectBy, patience, pretrained, freezeBackboneEpochs, backboneLearningRate, false);
    }

    /** The settings without the fine-tuning fields (random initialisation, nothing frozen, one learning rate). */
    public TrainConfig(String method, String teacherInput, String architecture, int inputSize, int channels,
                       float dropout, int epochs, int teacherEpochs, float alpha0, int kdEpochs, float learningRate,
                       boolean perBatchSchedule, int batchSize, boolean classWeights, String augment, String roiShape,
                       int roiMargin, String noFindingClass, String unannotated, long seed, int threads,
                       int loaderThreads, Double annotationFraction, Integer studentEpochs, String sampling,
                       String loss, Double focalGamma, String selectBy, Integer patience) {
        this(method, teacherInput, architecture, inputSize, channels, dropout, epochs, teacherEpochs, alpha0, kdEpochs,
                learningRate, perBatchSchedule, batchSize, classWeights, augment, roiShape, roiMargin, noFindingClass,
                unannotated, seed, threads, loaderThreads, annotationFraction, studentEpochs, sampling, loss, focalGamma,
                selectBy, patience, null, null, null);
    }

    /**
     * The settings without the imbalance fields, which take their defaults (shuffle, cross-entropy,
     * gamma 2, selection by loss, no early stopping): the constructor from before they existed, so
     * that code and tests written against it keep their meaning.
     */
    public TrainConfig(String method, String teacherInput, String architecture, int inputSize, int channels,
                       float dropout, int epochs, int teacherEpochs, float alpha0, int kdEpochs, float learningRate,
                       boolean perBatchSchedule, int batchSize, boolean classWeights, String augment, String roiShape,
                       int roiMargin, String noFindingClass, String unannotated, long seed, int threads,
                       int loaderThreads, Double annotationFraction, Integer studentEpochs) {
        this(method, teacherInput, architecture, inputSize, channels, dropout, epochs, teacherEpochs, alpha0, kdEpochs,
                learningRate, perBatchSchedule, batchSize, classWeights, augment, roiShape, roiMargin, noFindingClass,
                unannotated, seed, threads, loaderThreads, annotationFraction, studentEpochs, null, null, null, null,
                null, null, null, null);
    }

    public static TrainConfig defaults() {
        return new TrainConfig("baseline", "roi", "resnet18", 224, 1, 0.5f, 60, 20, 0.5f, 40, 1e-4f, false, 8,
                false, "strong", "mask", 0, "healthy", "exclude", 42, 0, 1, 1.0, null, SHUFFLE, CROSS_ENTROPY,
                DEFAULT_FOCAL_GAMMA, BY_LOSS, 0, null, 0, null);
    }

    /**
     * The settings of the demo and the mechanism test on {@code SyntheticChestXrays.Spec.shortcutTask}:
     * tiny_cnn at 64 px, 40 epochs with distillation decaying over all of them, lr 1e-3, batch 16,
     * weak augmentation, no dropout.
     */
    public static TrainConfig shortcutTask(String method, String teacherInput, long seed, int threads) {
        return new TrainConfig(method, teacherInput, "tiny_cnn", 64, 1, 0f, 40, 15, 0.5f, 40, 1e-3f, false, 16, false,
                "weak", "mask", 0, "healthy", "exclude", seed, threads, 1, 1.0, null, SHUFFLE, CROSS_ENTROPY,
                DEFAULT_FOCAL_GAMMA, BY_LOSS, 0, null, 0, null);
    }

    /** Checks every value; all problems in one exception. */
    public TrainConfig validated() {
        StringBuilder problems = new StringBuilder();
        check(problems, allowed("method", method), "method '" + method + "' is unknown; use baseline or hkd");
        check(problems, allowed("teacherInput", teacherInput),
                "teacher input '" + teacherInput + "' is unknown; use roi, raw or shuffled-roi");
        check(problems, inputSize >= 32 && inputSize % 32 == 0, "input size " + inputSize + " must be a positive multiple of 32, e.g. 224");
        check(problems, channels == 1 || channels == 3, "channels " + channels + " must be 1 or 3");
        check(problems, dropout >= 0 && dropout < 1, "dropout " + dropout + " must be in [0, 1)");
        check(problems, epochs >= 1, "epochs " + epochs + " must be at least 1");
        check(problems, studentEpochs == null || studentEpochs >= 1,
                "student epochs " + studentEpochs + " must be at least 1 (or left out for the same as epochs)");
        check(problems, teacherEpochs >= 1, "teacher epochs " + teacherEpochs + " must be at least 1");
        check(problems, alpha0 >= 0 && alpha0 <= 1, "alpha0 " + alpha0 + " must be in [0, 1]");
        check(problems, kdEpochs >= 0, "kd epochs " + kdEpochs + " must be 0 or more");
        check(problems, learningRate > 0, "learning rate " + learningRate + " must be positive");
        check(problems, batchSize >= 1, "batch size " + batchSize + " must be at least 1");
        check(problems, allowed("roiShape", roiShape), "ROI shape '" + roiShape + "' is unknown; use mask or box");
        check(problems, allowed("augment", augment), "augment '" + augment + "' is unknown; use none, weak or strong");
        check(problems, roiMargin >= 0, "ROI margin " + roiMargin + " must be 0 or more pixels");
        check(problems, allowed("unannotated", unannotated),
                "unannotated policy '" + unannotated + "' is unknown; use exclude or whole-image");
        check(problems, threads >= 0, "threads " + threads + " must be 0 (all cores) or more");
        check(problems, fractionOfAnnotations() > 0 && fractionOfAnnotations() <= 1,
                "annotation fraction " + annotationFraction + " must be in (0, 1]");
        check(problems, loaderThreads >= 1, "loader threads " + loaderThreads + " must be at least 1");
        check(problems, allowed("sampling", sampling),
                "sampling '" + sampling + "' is unknown; use shuffle or class-balanced");
        check(problems, allowed("loss", loss),
                "loss '" + loss + "' is unknown; use cross-entropy or focal");
        check(problems, focalGamma >= 0 && !focalGamma.isInfinite(),
                "focal gamma " + focalGamma + " must be a number of 0 or more (0 is cross-entropy; 2 is usual)");
        check(problems, allowed("selectBy", selectBy),
                "select-by '" + selectBy + "' is unknown; use loss, balanced-accuracy or macro-f1");
        check(problems, patience >= 0, "patience " + patience + " must be 0 (no early stopping) or more epochs");
        check(problems, pretrained == null || Files.exists(Path.of(pretrained)),
                "pretrained file " + pretrained + " does not exist; give a backbone folder from 'pneuknow pretrain'"
                        + " or a .safetensors file");
        check(problems, !TorchScriptBackbone.named(architecture) || pretrained != null,
                "architecture " + TorchScriptBackbone.ARCHITECTURE + " needs --pretrained FILE: the TorchScript"
                        + " backbone to train (see README)");
        check(problems, freezeBackboneEpochs >= 0,
                "freeze-backbone epochs " + freezeBackboneEpochs + " must be 0 (never) or more");
        check(problems, backboneLearningRate == null || (backboneLearningRate >= 0 && !backboneLearningRate.isInfinite()),
                "backbone learning rate " + backboneLearningRate + " must be 0 or more (or left out for the head's)");
        if (!problems.isEmpty()) {
            throw new BadInputException(problems.toString().strip());
        }
        return this;
    }

    /**
     * Training settings from JSON (a study's {@code train}, a config.json's {@code train}): a field
     * left out (or null) takes its value in {@link #defaults()}; an unknown field, a value of the
     * wrong type or a name outside {@link #CHOICES} is refused with the field named as
     * {@code where.field} (e.g. {@code study.json: train.augment "medium" is not one of none, weak, strong}).
     * Values are not range-checked here: {@link #validated()} does that.
     */
    public static TrainConfig fromJson(JsonNode node, String where) {
        List<String> problems = jsonProblems(node, where);
        if (!problems.isEmpty()) {
            throw new BadInputException(String.join("\n", problems));
        }
        ObjectNode merged = Json.MAPPER.valueToTree(defaults());
        if (node != null) {
            node.fields().forEachRemaining(f -> {
                if (!f.getValue().isNull()) {
                    merged.set(f.getKey(), f.getValue());
                }
            });
        }
        return Json.MAPPER.convertValue(merged, TrainConfig.class);
    }

    /** What is wrong with training settings in JSON, one line per field (see {@link #fromJson}); empty when nothing. */
    public static List<String> jsonProblems(JsonNode node, String where) {
        List<String> problems = new ArrayList<>();
        if (node == null || node.isNull()) {
            return problems;
        }
        if (!node.isObject()) {
            problems.add(where + " " + node + " is not an object of training settings; compare with a run's config.json");
            return problems;
        }
        Map<String, Class<?>> types = new LinkedHashMap<>();
        for (RecordComponent c : TrainConfig.class.getRecordComponents()) {
            types.put(c.getName(), c.getType());
        }
        node.fields().forEachRemaining(f -> {
            String field = where + "." + f.getKey();
            JsonNode value = f.getValue();
            Class<?> type = types.get(f.getKey());
            if (type == null) {
                problems.add(field + " is not a training setting; the settings are " + String.join(", ", types.keySet()));
            } else if (!value.isNull() && typeProblem(type, value) != null) {
                problems.add(field + " " + value + " is not " + typeProblem(type, value));
            } else if (value.isTextual() && CHOICES.containsKey(f.getKey()) && !allowed(f.getKey(), value.asText())) {
                problems.add(field + " " + value + " is not one of " + String.join(", ", CHOICES.get(f.getKey())));
            }
        });
        return problems;
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

    /** Whether {@code value} is one of the names of setting {@code field} (augment in any case). */
    private static boolean allowed(String field, String value) {
        if (value == null) {
            return false;
        }
        return CHOICES.get(field).contains(field.equals("augment") ? value.strip().toLowerCase(Locale.ROOT) : value);
    }

    /** The share of annotated training images the teacher may use (1 when not set). */
    public double fractionOfAnnotations() {
        return annotationFraction == null ? 1.0 : annotationFraction;
    }

    /** The same settings with other values for the fields a study varies. */
    public TrainConfig with(String newMethod, String newTeacherInput, String newArchitecture, long newSeed,
                            double newAnnotationFraction) {
        return new TrainConfig(newMethod, newTeacherInput, newArchitecture, inputSize, channels, dropout, epochs,
                teacherEpochs, alpha0, kdEpochs, learningRate, perBatchSchedule, batchSize, classWeights, augment,
                roiShape, roiMargin, noFindingClass, unannotated, newSeed, threads, loaderThreads, newAnnotationFraction,
                studentEpochs, sampling, loss, focalGamma, selectBy, patience, pretrained, freezeBackboneEpochs,
                backboneLearningRate, allowNoValidation);
    }

    /** The same settings starting from other pretrained weights (null for a random initialisation). */
    public TrainConfig withPretrained(String file) {
        return new TrainConfig(method, teacherInput, architecture, inputSize, channels, dropout, epochs, teacherEpochs,
                alpha0, kdEpochs, learningRate, perBatchSchedule, batchSize, classWeights, augment, roiShape, roiMargin,
                noFindingClass, unannotated, seed, threads, loaderThreads, annotationFraction, studentEpochs, sampling,
                loss, focalGamma, selectBy, patience, file, freezeBackboneEpochs, backboneLearningRate, allowNoValidation);
    }

    /** The same settings, allowing (or not) a run without validation images. */
    public TrainConfig withAllowNoValidation(boolean allow) {
        return new TrainConfig(method, teacherInput, architecture, inputSize, channels, dropout, epochs, teacherEpochs,
                alpha0, kdEpochs, learningRate, perBatchSchedule, batchSize, classWeights, augment, roiShape, roiMargin,
                noFindingClass, unannotated, seed, threads, loaderThreads, annotationFraction, studentEpochs, sampling,
                loss, focalGamma, selectBy, patience, pretrained, freezeBackboneEpochs, backboneLearningRate, allow);
    }

    /** The backbone's learning rate as a multiple of the head's (1 when not set). */
    public float backboneRateScale() {
        return backboneLearningRate == null ? 1f : (float) (backboneLearningRate / learningRate);
    }

    /** Epochs of the network this run delivers: the student's for HKD, else the baseline's. */
    public int finalStageEpochs() {
        return distills() && studentEpochs != null ? studentEpochs : epochs;
    }

    /** Whether training batches are drawn class-balanced rather than shuffled. */
    public boolean balancedSampling() {
        return CLASS_BALANCED.equals(sampling);
    }

    /**
     * Whether training makes the model learn a uniform class prior: class-balanced sampling or
     * inverse-frequency class weights, one of them (with both, the small classes count twice over).
     */
    public boolean learnsUniformPrior() {
        return balancedSampling() != classWeights;
    }

    /** The gamma of the classification loss: {@code focalGamma} for focal loss, 0 (cross-entropy) otherwise. */
    public double lossGamma() {
        return FOCAL.equals(loss) ? focalGamma : 0;
    }

    public boolean distills() {
        return method.equals("hkd");
    }

    public RoiPolicy roiPolicy() {
        return new RoiPolicy(noFindingClass == null || noFindingClass.isBlank() ? null : noFindingClass,
                RoiPolicy.Unannotated.parse(unannotated));
    }

    private static void check(StringBuilder problems, boolean ok, String message) {
        if (!ok) {
            problems.append("training setting: ").append(message).append('\n');
        }
    }
}
