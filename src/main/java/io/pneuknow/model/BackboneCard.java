package io.pneuknow.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.transform.Preprocessor;
import java.util.List;
import java.util.Map;

/**
 * What backbone.json says about a pretrained backbone: enough to load it (architecture, input
 * channels, parameter file and its hash) and to know where it came from (objective and its
 * settings, the images and their fingerprint, epochs, loss per epoch, seed, versions, time).
 *
 * @param inputSize the side the backbone was pretrained at; the weights load at any multiple of 32
 * @param preprocessing the normalisation the backbone saw (the one training uses for these channels)
 * @param objective {@code contrastive} (SimCLR-style, self-supervised) or {@code supervised} (transfer
 *     from a classifier trained on other labelled X-rays)
 * @param settings the objective's settings (temperature, projection, augmentation, learning rate,
 *     batch size; or for supervised transfer the training configuration and the kept checkpoint)
 * @param images how many images the backbone was trained on
 * @param imagesFingerprint SHA-256 over the sorted (relative path, file SHA-256) list of those images
 * @param imagesList the file beside backbone.json listing them
 * @param dataFingerprint the data set fingerprint (labels included) when the images came from a
 *     labels file; null for a plain folder
 * @param history one entry per epoch trained (contrastive); empty for supervised transfer, whose
 *     history is in its training run's folder
 * @param probe an optional k-NN sanity check of the features; null when not run
 * @param seconds wall time of the pretraining, preparation included
 */
public record BackboneCard(String format, String id, String weightsFile, String weightsSha256, String architecture,
                           int inputChannels, int inputSize, int featureChannels, long parameterCount,
                           Preprocessor preprocessing, String objective, JsonNode settings, int epochs,
                           int images, String imagesFingerprint, String imagesList, String data,
                           String dataFingerprint, List<Epoch> history, JsonNode probe, long seed, int threads,
                           Map<String, String> versions, double seconds, String createdAt, String command) {
    public static final String FORMAT = "pneuknow-backbone/1";

    /** A JSON null read back is a Java null, so a card equals itself after a round trip. */
    public BackboneCard {
        probe = probe == null || probe.isNull() ? null : probe;
        settings = settings == null || settings.isNull() ? null : settings;
        history = history == null ? List.of() : List.copyOf(history);
    }

    /** One contrastive epoch (numbered from 1): mean loss, top-1 positive accuracy, learning rate and seconds. */
    public record Epoch(int epoch, double loss, double positiveTop1, double learningRate, double seconds) {
    }

    /** The same card with a k-NN sanity check of its features recorded. */
    public BackboneCard withProbe(JsonNode newProbe) {
        return new BackboneCard(format, id, weightsFile, weightsSha256, architecture, inputChannels, inputSize,
                featureChannels, parameterCount, preprocessing, objective, settings, epochs, images, imagesFingerprint,
                imagesList, data, dataFingerprint, history, newProbe, seed, threads, versions, seconds, createdAt, command);
    }

    /** The same card for other weights (sets the hash and the id derived from it). */
    public BackboneCard withWeights(String file, String sha256) {
        return new BackboneCard(format, sha256.substring(0, 12), file, sha256, architecture, inputChannels, inputSize,
                featureChannels, parameterCount, preprocessing, objective, settings, epochs, images, imagesFingerprint,
                imagesList, data, dataFingerprint, history, probe, seed, threads, versions, seconds, createdAt, command);
    }
}
