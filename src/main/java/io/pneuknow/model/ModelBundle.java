package io.pneuknow.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A saved model: a directory with model.params (DJL's parameter format; a TorchScript backbone is
 * stored inside it as the whole module, see {@link TorchScriptBackbone}) and model.json (a
 * {@link ModelCard}). Both are written atomically, weights first, so a directory with a model.json
 * always has the weights it names.
 */
public final class ModelBundle {
    public static final String CARD = "model.json";
    public static final String WEIGHTS = "model.params";

    /** A loaded model ready for inference. */
    public record Loaded(ModelCard card, ClassifierNet net, NDManager manager) implements AutoCloseable {
        @Override
        public void close() {
            manager.close();
        }
    }

    private ModelBundle() {
    }

    /** Writes the net's weights and the card (with the weights' hash filled in); returns the card written. */
    public static ModelCard save(Path dir, ClassifierNet net, ModelCard card) throws IOException {
        Files.createDirectories(dir);
        String[] hash = new String[1];
        AtomicFiles.write(dir.resolve(WEIGHTS), out -> hash[0] = writeWeights(net, out));
        ModelCard written = card.withWeights(WEIGHTS, hash[0]);
        AtomicFiles.write(dir.resolve(CARD), out -> Json.MAPPER.writeValue(out, written));
        return written;
    }

    /**
     * Replaces model.json with another card for the same weights (facts added after training), atomically;
     * refuses a card naming other weights than the one it replaces.
     */
    public static void rewriteCard(Path dir, ModelCard card) throws IOException {
        ModelCard current = readCard(dir);
        if (!current.weightsSha256().equals(card.weightsSha256()) || !current.weightsFile().equals(card.weightsFile())) {
            throw new IllegalArgumentException("the new card names other weights than " + dir.resolve(CARD));
        }
        AtomicFiles.write(dir.resolve(CARD), out -> Json.MAPPER.writeValue(out, card));
    }

    /** Reads model.json only. */
    public static ModelCard readCard(Path dir) {
        Path file = dir.resolve(CARD);
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no model.json here; pass the directory a training run wrote with --out");
        }
        try {
            return Json.MAPPER.readValue(file.toFile(), ModelCard.class);
        } catch (IOException e) {
            throw new BadInputException(file + ": not a PneuKnow model card (" + e.getMessage().lines().findFirst().orElse("")
                    + "); retrain or restore the file");
        }
    }

    /** Loads a bundle for inference, checking the weights against the hash in model.json. */
    public static Loaded load(Path dir) {
        ModelCard card = readCard(dir);
        Path weights = dir.resolve(card.weightsFile());
        NDManager manager = NDManager.newBaseManager();
        try {
            byte[] bytes = Files.readAllBytes(weights);
            if (!sha256(bytes).equals(card.weightsSha256())) {
                throw new BadInputException(weights + ": weights do not match the sha256 in model.json; the bundle was altered, retrain or restore it");
            }
            int size = card.preprocessing().inputSize();
            ClassifierNet net;
            if (TorchScriptBackbone.named(card.architecture())) {
                // the backbone is the TorchScript module saved inside model.params
                net = TorchScriptBackbone.fromSavedNet(bytes, weights.toString(), card.labels().size(),
                        card.inputChannels(), card.dropout(), size, manager);
            } else {
                net = Architecture.fromCliName(card.architecture())
                        .build(card.labels().size(), card.inputChannels(), card.dropout());
                Architectures.initialize(net, manager, size);
            }
            try (InputStream in = new BufferedInputStream(new java.io.ByteArrayInputStream(bytes))) {
                net.loadParameters(manager, new DataInputStream(in));
            }
            return new Loaded(card, net, manager);
        } catch (IOException | MalformedModelException e) {
            manager.close();
            throw new BadInputException(weights + ": cannot read the weights (" + e.getMessage() + "); retrain or restore the file", e);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Writes the net's weights (DJL's parameter format, as {@code saveParameters} writes them) to {@code out} and
     * returns their SHA-256, hashing them as they are written rather than holding the whole file in memory (a copy
     * of every weight, and two more while a byte array grows, for a ResNet-50 several hundred MB of Java heap).
     */
    public static String writeWeights(Block net, OutputStream out) throws IOException {
        MessageDigest digest = sha256Digest();
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(new DigestOutputStream(out, digest)));
        net.saveParameters(data);
        data.flush();
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
