package io.pneuknow.model;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Starts an initialised network from weights a user brings, whatever their kind: a backbone
 * written by {@code pneuknow pretrain} ({@link BackboneFile}) or a safetensors file with
 * torchvision or timm names ({@link PretrainedWeights}). The classifier head stays as initialised,
 * fitted to the data set's classes. Returns what model.json records about the file.
 */
public final class PretrainedStart {
    private PretrainedStart() {
    }

    /**
     * Loads {@code file} into {@code net}'s backbone.
     *
     * @param architecture the network's command-line architecture name, for clearer mismatch messages
     * @throws BadInputException when the file is of no known kind or does not fit the network
     */
    public static ModelCard.Pretrained loadInto(ClassifierNet net, String architecture, Path file) {
        String name = file.getFileName().toString();
        if (Files.isDirectory(file) || name.equals(BackboneFile.CARD) || name.equals(BackboneFile.WEIGHTS)) {
            BackboneCard card = BackboneFile.loadInto(net, architecture, file);
            Path folder = Files.isDirectory(file) ? file : file.toAbsolutePath().getParent();
            return new ModelCard.Pretrained(folder.getFileName() + "/" + card.weightsFile(), card.weightsSha256(),
                    "pneuknow-backbone (" + card.objective() + ")", "backbone " + card.id() + ", " + card.epochs()
                    + " epoch(s) on " + card.images() + " images at " + card.inputSize() + " px");
        }
        if (name.toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
            PretrainedWeights.Info info;
            try {
                info = PretrainedWeights.loadInto(net, file);
            } catch (BadInputException e) {
                throw e.getMessage().contains(name) ? e : new BadInputException(file + ": " + e.getMessage());
            }
            return new ModelCard.Pretrained(name, info.sha256(), info.format(), info.loaded() + " tensors loaded, "
                    + info.skipped() + " skipped (classifier, counters); first convolution " + info.firstConv());
        }
        throw new BadInputException(file + ": not pretrained weights PneuKnow reads; give a backbone folder written by"
                + " 'pneuknow pretrain' (or its backbone.json) or a .safetensors file with torchvision or timm names");
    }
}
