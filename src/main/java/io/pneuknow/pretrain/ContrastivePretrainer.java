package io.pneuknow.pretrain;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.BackboneCard;
import io.pneuknow.model.BackboneFile;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.Gradients;
import io.pneuknow.train.Adam;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.Progress;
import io.pneuknow.train.Schedules;
import io.pneuknow.train.Versions;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.transform.Resize;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Self-supervised pretraining of a backbone on unlabelled radiographs with a SimCLR-style
 * contrastive objective (Chen et al. 2020): two random views of each image ({@link ContrastiveViews})
 * go through the backbone, global average pooling and a small projection head (Linear, ReLU,
 * Linear), and {@link NtXent} pulls the two views of an image together and pushes the other images'
 * views away. The projection head is dropped at export; the backbone is saved with
 * {@link BackboneFile}.
 *
 * <p>Why contrastive rather than masked-image modelling: our backbones are CNNs (ResNet, ConvNeXt)
 * with BatchNorm; masked-image objectives (MAE) need a ViT, or sparse convolutions (SparK) to keep the
 * masked patches from leaking through the convolutions, and a decoder we would throw away.
 * Contrastive learning trains exactly what the classifier uses (the pooled feature vector),
 * works with any of our architectures unchanged, and at 128 px a ResNet forward/backward over a
 * few hundred views per step fits a CPU. Its weakness, the need for many negatives, is eased by a
 * moderate temperature (0.2) and batch (64 images = 126 negatives per view).
 *
 * <p>Both views of a batch go through one forward pass, so BatchNorm normalises over all 2N views
 * (SimCLR's global BatchNorm). Reproducible: the engine is reseeded per epoch, the shuffle and every
 * view are seeded by (seed, epoch, image); the same seed and thread count give the same weights.
 * Each epoch ends with a checkpoint in {@code out/checkpoint}; {@code resume} continues from it and
 * ends with the same weights as an uninterrupted run.
 */
public final class ContrastivePretrainer {
    static final String CHECKPOINT_DIR = "checkpoint";
    static final String STATE = "state.json";
    static final String HISTORY = "history.csv";

    /** What a checkpoint says: the settings, the images' fingerprint, epochs done, history and time so far. */
    record State(ContrastiveConfig config, String imagesFingerprint, int epochsDone, String weightsFile,
                 List<BackboneCard.Epoch> history, double seconds) {
    }

    private final ContrastiveConfig config;
    private final PrintStream log;
    /** For tests: stop with an exception after this many epochs, as a killed run would (after its checkpoint). */
    private int interruptAfter = Integer.MAX_VALUE;

    public ContrastivePretrainer(ContrastiveConfig config, PrintStream log) {
        this.config = config.validated();
        this.log = log;
    }

    /** For tests: this pretrainer throws after {@code epochs} epochs, leaving the checkpoint a killed run leaves. */
    ContrastivePretrainer interruptAfter(int epochs) {
        this.interruptAfter = epochs;
        return this;
    }

    /**
     * Pretrains on {@code images} and writes the backbone into {@code out}; returns its card.
     *
     * @param resume continue from {@code out/checkpoint} (refused when its settings or images differ)
     * @param command the command line, for the provenance record
     */
    public BackboneCard run(PretrainImages images, Path out, boolean resume, String dataFingerprint, String command)
            throws IOException {
        long start = System.nanoTime();
        EngineThreads.set(config.threads());
        Preprocessor preprocessor = Preprocessor.defaults(config.inputSize(), config.channels());
        String fingerprint = images.fingerprint();
        Path checkpointDir = out.resolve(CHECKPOINT_DIR);
        State state = resume ? readState(checkpointDir) : null;
        if (resume && state == null) {
            throw new BadInputException(checkpointDir + ": no checkpoint to resume from; start without --resume");
        }
        if (state != null) {
            if (!state.config().equals(config)) {
                throw new BadInputException(checkpointDir + ": the checkpoint was made with other settings ("
                        + state.config() + "); resume with the same settings or start a new --out");
            }
            if (!state.imagesFingerprint().equals(fingerprint)) {
                throw new BadInputException(checkpointDir + ": the checkpoint was made on other images (fingerprint "
                        + state.imagesFingerprint().substring(0, 12) + ", now " + fingerprint.substring(0, 12)
                        + "); resume with the same images or start a new --out");
            }
        }
        int batchSize = Math.min(config.batchSize(), images.size());
        if (batchSize < 2) {
            throw new BadInputException("contrastive pretraining needs at least 2 images, got " + images.size()
                    + " (" + images.description() + ")");
        }
        int steps = images.size() / batchSize;
        log.printf(Locale.ROOT, "preparing %d images at %d px (views %d px)%n", images.size(), config.preparedSize(),
                config.inputSize());
        List<GreyImage> prepared = prepare(images);
        ContrastiveViews views = new ContrastiveViews(config.inputSize(), config.minCropArea());
        Architecture architecture = Architecture.fromCliName(config.architecture());
        ExecutorService pool = Executors.newFixedThreadPool(config.loaderThreads(), r -> {
            Thread t = new Thread(r, "pneuknow-views");
            t.setDaemon(true);
            return t;
        });
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = architecture.build(1, config.channels(), 0f);
            Engine.getInstance().setRandomSeed((int) Schedules.mix(config.seed(), 99));
            Architectures.initialize(net, manager, config.inputSize());
            SequentialBlock projection = projectionHead(net.featureChannels());
            projection.initialize(manager, DataType.FLOAT32, new Shape(1, net.featureChannels()));
            List<Parameter> trainable = new ArrayList<>();
            for (Pair<String, Parameter> p : net.backbone().getParameters()) {
                if (p.getValue().requiresGradient()) {
                    trainable.add(p.getValue());
                }
            }
            for (Pair<String, Parameter> p : projection.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    trainable.add(p.getValue());
                }
            }
            List<BackboneCard.Epoch> history = new ArrayList<>();
            double secondsBefore = 0;
            try (Adam adam = new Adam(trainable, manager)) {
                int firstEpoch = 0;
                if (state != null) {
                    loadCheckpoint(checkpointDir.resolve(state.weightsFile()), net, projection, adam, manager);
                    history.addAll(state.history());
                    firstEpoch = state.epochsDone();
                    secondsBefore = state.seconds();
                    log.printf("resuming after epoch %d of %d%n", firstEpoch, config.epochs());
                }
                log.printf(Locale.ROOT, "pretraining %s (%,d backbone parameters) on %d images: %d epochs of %d steps, "
                                + "batch %d (%d views)%n", config.architecture(),
                        Architectures.parameterCount(net.backbone()), images.size(), config.epochs(), steps, batchSize,
                        2 * batchSize);
                ParameterStore store = new ParameterStore(manager, false);
                Progress progress = new Progress(log, Progress.onTerminal(), "pretrain", firstEpoch, config.epochs(), steps);
                for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
                    long epochStart = System.nanoTime();
                    Engine.getInstance().setRandomSeed((int) Schedules.mix(config.seed(), epoch, 7));
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < prepared.size(); i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(Schedules.mix(config.seed(), epoch, 1)));
                    float lr = Schedules.learningRate(config.learningRate(), epoch, config.epochs(), 0, false);
                    double lossSum = 0;
                    double top1Sum = 0;
                    final int e = epoch;
                    CompletableFuture<float[]> next = CompletableFuture.supplyAsync(
                            () -> batchViews(prepared, order.subList(0, batchSize), views, preprocessor, e), pool);
                    for (int b = 0; b < steps; b++) {
                        float[] host = join(next);
                        if (b + 1 < steps) {
                            List<Integer> ids = order.subList((b + 1) * batchSize, (b + 2) * batchSize);
                            next = CompletableFuture.supplyAsync(() -> batchViews(prepared, ids, views, preprocessor, e), pool);
                        }
                        double[] lossTop1 = step(net, projection, store, manager, host, batchSize);
                        adam.step(lr);
                        lossSum += lossTop1[0];
                        top1Sum += lossTop1[1];
                        progress.step(epoch, b, lossTop1[0]);
                    }
                    // the float learning rate as written (1e-3, not 0.0010000000474974513)
                    BackboneCard.Epoch record = new BackboneCard.Epoch(epoch + 1, lossSum / steps, top1Sum / steps,
                            Double.parseDouble(Float.toString(lr)),
                            (System.nanoTime() - epochStart) / 1e9);
                    history.add(record);
                    double seconds = secondsBefore + (System.nanoTime() - start) / 1e9;
                    saveCheckpoint(checkpointDir, epoch + 1, net, projection, adam, history, fingerprint, seconds);
                    writeHistory(out.resolve(HISTORY), history);
                    progress.epoch(epoch, String.format(Locale.ROOT, "loss %.4f pos@1 %.3f (chance %.3f) lr %.2e %.0fs",
                            record.loss(), record.positiveTop1(), 1.0 / (2 * batchSize - 1), lr, record.seconds()));
                    if (epoch + 1 >= interruptAfter && epoch + 1 < config.epochs()) {
                        throw new IllegalStateException("interrupted after epoch " + (epoch + 1) + " (test)");
                    }
                }
            }
            double seconds = secondsBefore + (System.nanoTime() - start) / 1e9;
            BackboneCard card = new BackboneCard(BackboneCard.FORMAT, "", BackboneFile.WEIGHTS, "",
                    config.architecture(), config.channels(), config.inputSize(), net.featureChannels(),
                    Architectures.parameterCount(net.backbone()), preprocessor, "contrastive",
                    settings(views, batchSize, steps), config.epochs(), images.size(), fingerprint,
                    BackboneFile.IMAGES, images.description(), dataFingerprint, List.copyOf(history), null,
                    config.seed(), config.threads(), Versions.all(), seconds, Instant.now().toString(), command);
            BackboneCard written = BackboneFile.save(out, net, card, images.listing());
            log.printf(Locale.ROOT, "backbone written to %s (sha256 %s), %.0f s%n", out.resolve(BackboneFile.CARD),
                    written.weightsSha256().substring(0, 12), seconds);
            return written;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Linear (feature width), ReLU, Linear (projectionDim): SimCLR's projection head. */
    private SequentialBlock projectionHead(int featureChannels) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(featureChannels).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(config.projectionDim()).build());
    }

    /** One step on 2N views; returns the loss and the top-1 positive accuracy. */
    private double[] step(ClassifierNet net, SequentialBlock projection, ParameterStore store, NDManager manager,
                          float[] host, int n) {
        int size = config.inputSize();
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.create(host, new Shape(2L * n, config.channels(), size, size));
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                Gradients.zero(net, projection);
                NDArray pooled = Pool.globalAvgPool2d(net.features(store, x, true));
                NDArray z = projection.forward(store, new NDList(pooled), true).singletonOrThrow();
                NDArray z1 = z.get(new NDIndex("0:" + n));
                NDArray z2 = z.get(new NDIndex(n + ":"));
                NDArray loss = NtXent.loss(z1, z2, config.temperature());
                tape.backward(loss);
                return new double[] {loss.getFloat(), NtXent.positiveTop1(z1.stopGradient(), z2.stopGradient())};
            }
        }
    }

    /** The first views of the batch's images, then their second views, as one (2N, C, H, W) host array. */
    private float[] batchViews(List<GreyImage> prepared, List<Integer> ids, ContrastiveViews views,
                                 Preprocessor preprocessor, int epoch) {
        int per = config.channels() * config.inputSize() * config.inputSize();
        float[] out = new float[2 * ids.size() * per];
        for (int v = 0; v < 2; v++) {
            for (int i = 0; i < ids.size(); i++) {
                int index = ids.get(i);
                GreyImage view = views.view(prepared.get(index), config.seed(), epoch, index, v);
                System.arraycopy(preprocessor.toTensor(view), 0, out, (v * ids.size() + i) * per, per);
            }
        }
        return out;
    }

    /** Decodes every image once and resizes it to the prepared size (aspect not kept, as in training). */
    private List<GreyImage> prepare(PretrainImages images) {
        int side = config.preparedSize();
        return images.files().parallelStream().map(f -> Resize.to(ImageFiles.read(f), side, side)).toList();
    }

    private JsonNode settings(ContrastiveViews views, int batchSize, int steps) {
        ObjectNode s = Json.MAPPER.createObjectNode();
        s.put("loss", "NT-Xent (SimCLR), one forward pass over both views (BatchNorm over 2N views)");
        s.put("temperature", config.temperature());
        s.put("projectionHead", "Linear(" + "feature width) - ReLU - Linear(" + config.projectionDim()
                + "), dropped at export");
        s.put("projectionDim", config.projectionDim());
        s.put("batchSize", batchSize);
        s.put("stepsPerEpoch", steps);
        s.put("optimizer", "Adam (no weight decay), learning rate cosine-annealed per epoch");
        s.put("learningRate", config.learningRate());
        s.put("preparedSize", config.preparedSize());
        s.put("views", views.describe());
        s.put("minCropArea", config.minCropArea());
        s.put("loaderThreads", config.loaderThreads());
        return s;
    }

    private void saveCheckpoint(Path dir, int epochsDone, ClassifierNet net, SequentialBlock projection, Adam adam,
                                List<BackboneCard.Epoch> history, String fingerprint, double seconds) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            net.backbone().saveParameters(out);
            projection.saveParameters(out);
            adam.save(out);
        }
        String name = String.format(Locale.ROOT, "epoch-%03d.bin", epochsDone);
        AtomicFiles.write(dir.resolve(name), o -> o.write(bytes.toByteArray()));
        State state = new State(config, fingerprint, epochsDone, name, List.copyOf(history), seconds);
        AtomicFiles.write(dir.resolve(STATE), o -> Json.MAPPER.writeValue(o, state));
        try (var files = Files.list(dir)) {
            for (Path old : files.filter(p -> p.getFileName().toString().startsWith("epoch-")
                    && !p.getFileName().toString().equals(name)).toList()) {
                Files.deleteIfExists(old);
            }
        }
    }

    private static State readState(Path dir) {
        Path file = dir.resolve(STATE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(file.toFile(), State.class);
        } catch (IOException e) {
            throw new BadInputException(file + ": not a pretraining checkpoint (" + e.getMessage().lines().findFirst()
                    .orElse("") + "); start a new --out");
        }
    }

    private static void loadCheckpoint(Path file, ClassifierNet net, SequentialBlock projection, Adam adam,
                                       NDManager manager) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(file)))) {
            net.backbone().loadParameters(manager, in);
            projection.loadParameters(manager, in);
            adam.load(in);
        } catch (MalformedModelException e) {
            throw new BadInputException(file + ": cannot read the checkpoint (" + e.getMessage() + "); start a new --out");
        }
        // loading replaces the arrays; trainable ones need their gradient again
        for (Pair<String, Parameter> p : net.backbone().getParameters()) {
            if (p.getValue().requiresGradient()) {
                p.getValue().getArray().setRequiresGradient(true);
            }
        }
        for (Pair<String, Parameter> p : projection.getParameters()) {
            if (p.getValue().requiresGradient()) {
                p.getValue().getArray().setRequiresGradient(true);
            }
        }
    }

    private static void writeHistory(Path file, List<BackboneCard.Epoch> history) throws IOException {
        StringBuilder csv = new StringBuilder("epoch,loss,positive_top1,learning_rate,seconds\n");
        for (BackboneCard.Epoch e : history) {
            csv.append(String.format(Locale.ROOT, "%d,%.6f,%.4f,%.6g,%.1f%n", e.epoch(), e.loss(), e.positiveTop1(),
                    e.learningRate(), e.seconds()));
        }
        AtomicFiles.writeString(file, csv.toString());
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making views", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("making views failed", e.getCause());
        }
    }
}
