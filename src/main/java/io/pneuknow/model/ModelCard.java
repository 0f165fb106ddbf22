package io.pneuknow.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.image.GreyImage;
import io.pneuknow.transform.Preprocessor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What model.json says about a trained model: enough to load it (architecture, labels in order,
 * preprocessing) and to know where it came from (method, teacher, resolved configuration, seed,
 * data fingerprint, library versions, checkpoint) and what it is for.
 *
 * @param teacher for HKD students, the frozen teacher they learned from; null otherwise
 * @param configuration the fully resolved run configuration, as written to config.json
 * @param pretrained the weights training started from; null for a random initialisation (and in
 *     cards written before it existed)
 * @param inputStatistics the spread of simple pixel statistics over the training images, for the input
 *     guard; null when not recorded (cards written before it existed, study cells)
 * @param parts the images the model was trained and selected on (by content) and its test part's ids, so
 *     that evaluation refuses to score what the model learned from; null in cards written before it existed
 * @param annotationSnapshot the SHA-256 (hex) of the frozen regions file a workspace job trained on
 *     ({@code train --annotation-snapshot}); null otherwise, and then left out of model.json
 */
public record ModelCard(String format, String id, String weightsFile, String weightsSha256, List<String> labels,
                        String architecture, int inputChannels, float dropout, Preprocessor preprocessing,
                        String method, TeacherInfo teacher, JsonNode configuration, long seed,
                        String dataFingerprint, Map<String, String> versions, Checkpoint checkpoint,
                        String intendedUse, String population, String createdAt, String command,
                        Pretrained pretrained, InputStatistics inputStatistics, DataParts parts,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String annotationSnapshot) {
    public static final String FORMAT = "pneuknow-model/1";
    public static final String INTENDED_USE = "Research use only, not for diagnosis. Not a medical device.";

    /**
     * The epoch whose weights were kept (0-based) and its validation figures.
     *
     * @param epochsTrained epochs actually trained (fewer than {@code epochsPlanned} after early stopping)
     * @param valBalancedAccuracy the kept epoch's validation balanced accuracy
     * @param valMacroF1 the kept epoch's validation macro-F1
     * @param selectedBy the validation metric that chose the epoch: loss, balanced-accuracy or macro-f1
     * @param epochsPlanned the stage's configured epochs
     * @param stoppedEarly whether early stopping ended the stage before {@code epochsPlanned}
     *     (the last five are null in cards written before they existed)
     */
    public record Checkpoint(int epoch, int epochsTrained, double valLoss, double valAccuracy,
                             Double valBalancedAccuracy, Double valMacroF1, String selectedBy, Integer epochsPlanned,
                             Boolean stoppedEarly) {
    }

    /** The teacher of an HKD student: its bundle (relative path), weights hash, input and checkpoint. */
    public record TeacherInfo(String path, String weightsSha256, String input, Checkpoint checkpoint) {
    }

    /**
     * Pretrained weights a model started from: the file's name (not its path), its SHA-256, its
     * format (a PneuKnow backbone, or safetensors with torchvision or timm names) and what was
     * loaded.
     */
    public record Pretrained(String file, String sha256, String format, String detail) {
    }

    /**
     * The images of each part of the split a model was trained with: the training and validation
     * images by content (the first {@value #HASH_HEX} hex digits of the SHA-256 of the image file's
     * bytes, so a copy under another name is the same image), the test part by image id.
     *
     * @param training the content hashes of the images the weights were fitted on, sorted
     * @param validation the content hashes of the images that chose the kept epoch, sorted
     * @param testImageIds the ids of the test part's images, in the part's order (empty without one)
     */
    public record DataParts(List<String> training, List<String> validation, List<String> testImageIds) {
        /** Hex digits kept of each image's SHA-256 (64 bits: a chance collision needs billions of images). */
        public static final int HASH_HEX = 16;
        /** The name of the training part in messages. */
        public static final String TRAINING = "training";
        /** The name of the validation part in messages. */
        public static final String VALIDATION = "validation";

        /** The parts from the image files of the training and validation parts and the test part's ids. */
        public static DataParts of(List<Path> training, List<Path> validation, List<String> testImageIds) {
            return new DataParts(hashes(training), hashes(validation), List.copyOf(testImageIds));
        }

        /** The content hashes of the files, sorted, without repeats (read in parallel). */
        private static List<String> hashes(List<Path> files) {
            return files.parallelStream().map(DataParts::contentHash).distinct().sorted().toList();
        }

        /** The first {@value #HASH_HEX} hex digits of the SHA-256 of the file's bytes. */
        public static String contentHash(Path file) {
            return Safetensors.sha256(file).substring(0, HASH_HEX);
        }

        /** The part ({@link #TRAINING} or {@link #VALIDATION}) holding an image of this content hash, or null. */
        public String partOf(String contentHash) {
            if (Collections.binarySearch(training, contentHash) >= 0) {
                return TRAINING;
            }
            return Collections.binarySearch(validation, contentHash) >= 0 ? VALIDATION : null;
        }
    }

    /** A card without an annotation snapshot (the components before {@code annotationSnapshot} existed). */
    public ModelCard(String format, String id, String weightsFile, String weightsSha256, List<String> labels,
                     String architecture, int inputChannels, float dropout, Preprocessor preprocessing,
                     String method, TeacherInfo teacher, JsonNode configuration, long seed,
                     String dataFingerprint, Map<String, String> versions, Checkpoint checkpoint,
                     String intendedUse, String population, String createdAt, String command,
                     Pretrained pretrained, InputStatistics inputStatistics, DataParts parts) {
        this(format, id, weightsFile, weightsSha256, labels, architecture, inputChannels, dropout, preprocessing,
                method, teacher, configuration, seed, dataFingerprint, versions, checkpoint, intendedUse, population,
                createdAt, command, pretrained, inputStatistics, parts, null);
    }

    /** A card without recorded parts (the components before {@code parts} existed). */
    public ModelCard(String format, String id, String weightsFile, String weightsSha256, List<String> labels,
                     String architecture, int inputChannels, float dropout, Preprocessor preprocessing,
                     String method, TeacherInfo teacher, JsonNode configuration, long seed,
                     String dataFingerprint, Map<String, String> versions, Checkpoint checkpoint,
                     String intendedUse, String population, String createdAt, String command,
                     Pretrained pretrained, InputStatistics inputStatistics) {
        this(format, id, weightsFile, weightsSha256, labels, architecture, inputChannels, dropout, preprocessing,
                method, teacher, configuration, seed, dataFingerprint, versions, checkpoint, intendedUse, population,
                createdAt, command, pretrained, inputStatistics, null);
    }

    /** A card without input statistics (the components before {@code inputStatistics} existed). */
    public ModelCard(String format, String id, String weightsFile, String weightsSha256, List<String> labels,
                     String architecture, int inputChannels, float dropout, Preprocessor preprocessing,
                     String method, TeacherInfo teacher, JsonNode configuration, long seed,
                     String dataFingerprint, Map<String, String> versions, Checkpoint checkpoint,
                     String intendedUse, String population, String createdAt, String command,
                     Pretrained pretrained) {
        this(format, id, weightsFile, weightsSha256, labels, architecture, inputChannels, dropout, preprocessing,
                method, teacher, configuration, seed, dataFingerprint, versions, checkpoint, intendedUse, population,
                createdAt, command, pretrained, null, null);
    }

    /**
     * Per-image mean and standard deviation of the preprocessed grey pixels (resized to the input
     * size, values in [0, 1], before normalisation) over training images: their 1st and 99th
     * percentiles. An image far outside these ranges is unlike what the model saw.
     *
     * @param images how many training images the percentiles come from
     * @param ranges every pixel feature's 1st-99th percentile range over the training images
     *     ({@code io.pneuknow.guard.PixelFeatures}); null in cards written before it existed, whose guard
     *     checks mean and standard deviation only
     * @param widening how far beyond its range (in multiples of the range's width, at least the feature's
     *     floor) a feature may lie before the guard warns, chosen on the validation part; null with
     *     {@code ranges}
     * @param validationImages how many validation images chose the widening (null with {@code ranges})
     * @param validationWarned the share of them the chosen widening still warns about (null with {@code ranges})
     */
    public record InputStatistics(int images, double meanLow, double meanHigh, double sdLow, double sdHigh,
                                  List<Range> ranges, Double widening, Integer validationImages,
                                  Double validationWarned) {
        /** A feature's range over the training images, and the least widening it gets (in the feature's units). */
        public record Range(String feature, double low, double high, double floor) {
        }

        /** Mean and standard deviation ranges only (the statistics before the pixel features existed). */
        public InputStatistics(int images, double meanLow, double meanHigh, double sdLow, double sdHigh) {
            this(images, meanLow, meanHigh, sdLow, sdHigh, null, null, null, null);
        }

        /** The percentiles over already prepared images (at least one). */
        public static InputStatistics of(List<GreyImage> prepared) {
            if (prepared.isEmpty()) {
                throw new IllegalArgumentException("no images to take statistics from");
            }
            double[] means = new double[prepared.size()];
            double[] sds = new double[prepared.size()];
            for (int i = 0; i < prepared.size(); i++) {
                double[] ms = meanAndSd(prepared.get(i));
                means[i] = ms[0];
                sds[i] = ms[1];
            }
            Arrays.sort(means);
            Arrays.sort(sds);
            return new InputStatistics(prepared.size(), percentile(means, 0.01), percentile(means, 0.99),
                    percentile(sds, 0.01), percentile(sds, 0.99));
        }

        /** Mean and (population) standard deviation of an image's pixels. */
        public static double[] meanAndSd(GreyImage image) {
            double sum = 0;
            double squares = 0;
            for (float v : image.pixels()) {
                sum += v;
                squares += (double) v * v;
            }
            int n = image.pixels().length;
            double mean = sum / n;
            return new double[] {mean, Math.sqrt(Math.max(0, squares / n - mean * mean))};
        }

        /** The q-quantile (0-1) of sorted values, interpolated linearly. */
        public static double percentile(double[] sorted, double q) {
            double position = q * (sorted.length - 1);
            int below = (int) Math.floor(position);
            int above = Math.min(sorted.length - 1, below + 1);
            return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
        }
    }

    /** The same card with the training images' input statistics. */
    public ModelCard withInputStatistics(InputStatistics statistics) {
        return new ModelCard(format, id, weightsFile, weightsSha256, labels, architecture, inputChannels, dropout,
                preprocessing, method, teacher, configuration, seed, dataFingerprint, versions, checkpoint,
                intendedUse, population, createdAt, command, pretrained, statistics, parts, annotationSnapshot);
    }

    /** The same card with the parts of the split it was trained with. */
    public ModelCard withParts(DataParts dataParts) {
        return new ModelCard(format, id, weightsFile, weightsSha256, labels, architecture, inputChannels, dropout,
                preprocessing, method, teacher, configuration, seed, dataFingerprint, versions, checkpoint,
                intendedUse, population, createdAt, command, pretrained, inputStatistics, dataParts, annotationSnapshot);
    }

    /** The same card for other weights (sets the weights hash and the id derived from it). */
    public ModelCard withWeights(String file, String sha256) {
        return new ModelCard(format, sha256.substring(0, 12), file, sha256, labels, architecture, inputChannels,
                dropout, preprocessing, method, teacher, configuration, seed, dataFingerprint, versions, checkpoint,
                intendedUse, population, createdAt, command, pretrained, inputStatistics, parts, annotationSnapshot);
    }
}
