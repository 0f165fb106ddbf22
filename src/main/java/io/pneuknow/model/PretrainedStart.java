package io.pneuknow.model;

import io.pneuknow.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Starts an initialised network from weights a user brings, whatever their kind: a backbone
 * written by {@code pneuknow pretrain} ({@link BackboneFile}) or a safetensors file with
 * torchvision or timm names ({@link PretrainedWeights}). The classifier head stays as initialised,
 * fitted to the data set's classes. Returns what model.json records about the file. (A TorchScript
 * file is not loaded here: it is a whole backbone, see {@link TorchScriptBackbone}.)
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
        if (pytorchFile(file)) {
            throw new BadInputException(file + ": a PyTorch file is not weights for " + architecture + "; a TorchScript"
                    + " backbone (torch.jit.script) is trained as it is with --architecture " + TorchScriptBackbone.ARCHITECTURE
                    + " --pretrained FILE, and a state_dict saved with torch.save must be converted to safetensors (see README)");
        }
        throw new BadInputException(file + ": not pretrained weights PneuKnow reads; give a backbone folder written by"
                + " 'pneuknow pretrain' (or its backbone.json) or a .safetensors file with torchvision or timm names");
    }

    /** A .pt/.pth/.ts file, or any zip archive (what torch.save and torch.jit.save write). */
    private static boolean pytorchFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".ts")) {
            return true;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        } catch (IOException e) {
            return false;
        }
    }
}
