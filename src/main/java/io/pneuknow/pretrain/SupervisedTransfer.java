package io.pneuknow.pretrain;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.Json;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Sample;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.BackboneCard;
import io.pneuknow.model.BackboneFile;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainRun;
import io.pneuknow.train.Versions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Supervised transfer: trains a baseline classifier on another labelled X-ray set with the
 * project's own training run ({@link TrainRun}: augmentation, Adam, cosine schedule, the checkpoint
 * with the lowest validation loss, resumable), saved as a model bundle in {@code out/supervised},
 * then exports that model's backbone (the head, which knows the other set's classes, is dropped).
 */
public final class SupervisedTransfer {
    /** The folder under {@code out} holding the classifier the backbone is taken from. */
    public static final String RUN_DIR = "supervised";

    private SupervisedTransfer() {
    }

    /**
     * Trains on {@code parts} (train; val picks the kept epoch; test, if any, is only scored) and
     * writes the backbone into {@code out}. The backbone's images are the train and val images.
     */
    public static BackboneCard run(TrainConfig config, Dataset dataset, TrainRun.Parts parts,
                                   TrainRun.Provenance provenance, String dataDescription, Path out, boolean resume,
                                   PrintStream log) throws IOException {
        long start = System.nanoTime();
        Path runDir = out.resolve(RUN_DIR);
        TrainRun.Outcome outcome = new TrainRun(config, log).run(dataset, parts, provenance, runDir, resume);
        List<Sample> seen = new ArrayList<>(parts.train());
        seen.addAll(parts.val());
        PretrainImages images = PretrainImages.of(dataset, seen, dataDescription + "; train and val parts ("
                + parts.train().size() + " + " + parts.val().size() + " images; " + parts.test().size()
                + " test images not trained on)");
        try (ModelBundle.Loaded loaded = ModelBundle.load(runDir)) {
            ModelCard model = loaded.card();
            ObjectNode settings = Json.MAPPER.createObjectNode();
            settings.put("method", "baseline classifier, backbone exported, head dropped");
            settings.put("modelBundle", RUN_DIR);
            settings.put("modelSha256", model.weightsSha256());
            settings.set("classes", Json.MAPPER.valueToTree(model.labels()));
            settings.set("checkpoint", Json.MAPPER.valueToTree(model.checkpoint()));
            settings.put("testAccuracy", outcome.testAccuracy());
            settings.put("testImages", outcome.testImages());
            settings.set("training", Json.MAPPER.valueToTree(config));
            double seconds = (System.nanoTime() - start) / 1e9;
            BackboneCard card = new BackboneCard(BackboneCard.FORMAT, "", BackboneFile.WEIGHTS, "",
                    config.architecture(), config.channels(), config.inputSize(), loaded.net().featureChannels(),
                    Architectures.parameterCount(loaded.net().backbone()), model.preprocessing(), "supervised",
                    settings, model.checkpoint().epochsTrained(), images.size(), images.fingerprint(),
                    BackboneFile.IMAGES, images.description(), provenance.dataFingerprint(), List.of(), null,
                    config.seed(), config.threads(), Versions.all(), seconds, Instant.now().toString(),
                    provenance.command());
            BackboneCard written = BackboneFile.save(out, loaded.net(), card, images.listing());
            log.printf(Locale.ROOT, "backbone of the epoch-%d classifier written to %s (sha256 %s)%n",
                    model.checkpoint().epoch() + 1, out.resolve(BackboneFile.CARD),
                    written.weightsSha256().substring(0, 12));
            return written;
        }
    }
}
