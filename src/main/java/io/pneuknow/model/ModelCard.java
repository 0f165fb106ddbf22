package io.pneuknow.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.transform.Preprocessor;
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
 */
public record ModelCard(String format, String id, String weightsFile, String weightsSha256, List<String> labels,
                        String architecture, int inputChannels, float dropout, Preprocessor preprocessing,
                        String method, TeacherInfo teacher, JsonNode configuration, long seed,
                        String dataFingerprint, Map<String, String> versions, Checkpoint checkpoint,
                        String intendedUse, String population, String createdAt, String command,
                        Pretrained pretrained) {
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

    /** The same card for other weights (sets the weights hash and the id derived from it). */
    public ModelCard withWeights(String file, String sha256) {
        return new ModelCard(format, sha256.substring(0, 12), file, sha256, labels, architecture, inputChannels,
                dropout, preprocessing, method, teacher, configuration, seed, dataFingerprint, versions, checkpoint,
                intendedUse, population, createdAt, command, pretrained);
    }
}
