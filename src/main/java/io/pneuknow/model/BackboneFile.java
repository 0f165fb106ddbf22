package io.pneuknow.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A saved backbone: a directory with backbone.params (the backbone's parameters in DJL's format,
 * BatchNorm running statistics included; the classifier head and any projection head are not
 * saved), backbone.json (a {@link BackboneCard}) and backbone-images.txt (the images it was
 * trained on). All are written atomically, the list and the weights before the card, so a directory
 * with a backbone.json always has the weights it names.
 *
 * <p>{@link #loadInto(ClassifierNet, Path)} is all a training run needs after initialising its
 * network: it checks the file and copies the weights into the network's backbone in place.
 */
public final class BackboneFile {
    public static final String CARD = "backbone.json";
    public static final String WEIGHTS = "backbone.params";
    public static final String IMAGES = "backbone-images.txt";

    private BackboneFile() {
    }

    /**
     * Writes the backbone of {@code net}, the image list and the card (with the weights' file, hash,
     * id and the images list name filled in); returns the card written.
     */
    public static BackboneCard save(Path dir, ClassifierNet net, BackboneCard card, String imageListing)
            throws IOException {
        Files.createDirectories(dir);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            net.backbone().saveParameters(out);
        }
        byte[] weights = bytes.toByteArray();
        AtomicFiles.writeString(dir.resolve(IMAGES), imageListing);
        AtomicFiles.write(dir.resolve(WEIGHTS), out -> out.write(weights));
        byte[] json = Json.MAPPER.writeValueAsBytes(card.withWeights(WEIGHTS, ModelBundle.sha256(weights)));
        AtomicFiles.write(dir.resolve(CARD), out -> out.write(json));
        // as read back, so the card returned equals the one loadInto returns (JSON has no float nodes)
        return Json.MAPPER.readValue(json, BackboneCard.class);
    }

    /**
     * Rewrites backbone.json in {@code dir} with {@code card} (e.g. with a probe added), after checking
     * that it describes the weights there (same file and SHA-256).
     */
    public static void rewriteCard(Path dir, BackboneCard card) throws IOException {
        BackboneCard current = readCard(dir);
        if (!current.weightsSha256().equals(card.weightsSha256()) || !current.weightsFile().equals(card.weightsFile())) {
            throw new IllegalArgumentException("the card describes weights " + card.weightsSha256()
                    + ", the folder holds " + current.weightsSha256());
        }
        AtomicFiles.write(dir.resolve(CARD), out -> Json.MAPPER.writeValue(out, card));
    }

    /** Reads backbone.json only; {@code backbone} is the directory, its backbone.json or its backbone.params. */
    public static BackboneCard readCard(Path backbone) {
        Path file = cardFile(backbone);
        BackboneCard card;
        try {
            card = Json.MAPPER.readValue(file.toFile(), BackboneCard.class);
        } catch (IOException e) {
            String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BadInputException(file + ": not a PneuKnow backbone card (" + first
                    + "); pretrain again or restore the file");
        }
        if (!BackboneCard.FORMAT.equals(card.format())) {
            throw new BadInputException(file + ": format '" + card.format() + "' is not " + BackboneCard.FORMAT
                    + "; pretrain again with this version of PneuKnow");
        }
        return card;
    }

    /**
     * Loads a pretrained backbone into the backbone of {@code net}, which must be initialised (see
     * {@link Architectures#initialize}); the head is left as it is. Checks, each failure a one-line
     * {@link BadInputException} naming the mismatch: the card is readable, the weights match its
     * SHA-256, the input channels agree, and the network's backbone has exactly the file's
     * parameters (same names, same order, same shapes). Values are copied into the network's own
     * arrays, so gradients and managers stay as they were.
     *
     * @param backbone the backbone directory, or its backbone.json or backbone.params
     * @return the provenance record of the loaded backbone
     */
    public static BackboneCard loadInto(ClassifierNet net, Path backbone) {
        return load(net, null, backbone);
    }

    /**
     * As {@link #loadInto(ClassifierNet, Path)}, and first checks that the backbone was pretrained
     * for {@code architecture} (the network's command-line architecture name), for a clearer message.
     */
    public static BackboneCard loadInto(ClassifierNet net, String architecture, Path backbone) {
        return load(net, architecture, backbone);
    }

    private static BackboneCard load(ClassifierNet net, String architecture, Path backbone) {
        Path cardFile = cardFile(backbone);
        BackboneCard card = readCard(cardFile);
        if (architecture != null && !architecture.equals(card.architecture())) {
            throw new BadInputException(cardFile + ": the backbone is " + card.architecture() + ", the network "
                    + architecture + "; train with --architecture " + card.architecture() + " or pretrain a " + architecture
                    + " backbone");
        }
        if (card.inputChannels() != net.inChannels()) {
            throw new BadInputException(cardFile + ": the backbone takes " + card.inputChannels()
                    + " input channel(s), the network " + net.inChannels() + "; train with --channels "
                    + card.inputChannels() + " or pretrain with " + net.inChannels() + " channel(s)");
        }
        Architecture arch;
        try {
            arch = Architecture.fromCliName(card.architecture());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(cardFile + ": " + e.getMessage() + "; the card names an architecture this version lacks");
        }
        Path weightsFile = cardFile.resolveSibling(card.weightsFile());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(weightsFile);
        } catch (IOException e) {
            throw new BadInputException(weightsFile + ": cannot read the backbone weights (" + e.getMessage()
                    + "); the folder is incomplete, pretrain again or restore it");
        }
        if (!ModelBundle.sha256(bytes).equals(card.weightsSha256())) {
            throw new BadInputException(weightsFile + ": weights do not match the sha256 in " + CARD
                    + "; the backbone was altered, pretrain again or restore it");
        }
        PairList<String, Parameter> target = net.backbone().getParameters();
        for (Pair<String, Parameter> p : target) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalStateException("parameter " + p.getKey() + " is not initialised: call "
                        + "Architectures.initialize on the network before loading a backbone");
            }
        }
        try (NDManager scratch = NDManager.newBaseManager()) {
            ClassifierNet reference = arch.build(1, card.inputChannels(), 0f);
            // zeros, not random draws: building the scratch copy leaves the engine's generator alone
            reference.setInitializer(new ConstantInitializer(0f), p -> true);
            Architectures.initialize(reference, scratch, card.inputSize());
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                reference.backbone().loadParameters(scratch, in);
            } catch (IOException | MalformedModelException | RuntimeException e) {
                throw new BadInputException(weightsFile + ": not a " + card.architecture() + " backbone ("
                        + e.getMessage() + "); pretrain again or restore the file");
            }
            PairList<String, Parameter> source = reference.backbone().getParameters();
            for (int i = 0; i < Math.max(source.size(), target.size()); i++) {
                if (i >= source.size() || i >= target.size()) {
                    throw new BadInputException(cardFile + ": the " + card.architecture() + " backbone has "
                            + source.size() + " parameters, the network's backbone " + target.size()
                            + "; train with --architecture " + card.architecture() + " or pretrain the network's architecture");
                }
                String name = source.get(i).getKey();
                NDArray from = source.get(i).getValue().getArray();
                NDArray to = target.get(i).getValue().getArray();
                if (!name.equals(target.get(i).getKey()) || !from.getShape().equals(to.getShape())
                        || from.getDataType() != to.getDataType()) {
                    throw new BadInputException(cardFile + ": the network's backbone does not match this "
                            + card.architecture() + " backbone at parameter " + i + ": " + name + " "
                            + from.getShape() + " " + from.getDataType() + " in the file, " + target.get(i).getKey()
                            + " " + to.getShape() + " " + to.getDataType() + " in the network; train with --architecture "
                            + card.architecture() + " or pretrain the network's architecture");
                }
            }
            for (int i = 0; i < source.size(); i++) {
                source.get(i).getValue().getArray().copyTo(target.get(i).getValue().getArray());
            }
        }
        return card;
    }

    /** backbone.json for a directory, a backbone.json or a backbone.params path. */
    static Path cardFile(Path backbone) {
        Path file = Files.isDirectory(backbone) ? backbone.resolve(CARD)
                : backbone.getFileName() != null && backbone.getFileName().toString().endsWith(".params")
                ? backbone.resolveSibling(CARD) : backbone;
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no backbone card here; pass the folder 'pneuknow pretrain --out' wrote");
        }
        return file;
    }
}
