package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Fingerprint;
import io.pneuknow.data.Split;
import io.pneuknow.model.BackboneCard;
import io.pneuknow.model.BackboneFile;
import io.pneuknow.pretrain.ContrastiveConfig;
import io.pneuknow.pretrain.ContrastivePretrainer;
import io.pneuknow.pretrain.KnnProbe;
import io.pneuknow.pretrain.PretrainImages;
import io.pneuknow.pretrain.SupervisedTransfer;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainRun;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pneuknow pretrain}: in-domain pretraining of a backbone, written as a backbone file for {@code train --pretrained}. */
@Command(name = "pretrain", sortOptions = false,
        description = {"Pretrain a backbone on X-rays and write OUT/backbone.params + OUT/backbone.json (provenance) "
                + "+ OUT/backbone-images.txt (the images used).",
                "contrastive (default): self-supervised SimCLR-style, on a folder of PNG/JPEG files (--images, labels not "
                        + "needed) or a data set's images (--data ... --where ...); history in OUT/history.csv, a "
                        + "checkpoint per epoch in OUT/checkpoint (--resume continues).",
                "supervised: a baseline classifier trained on another labelled set (--data, split options as in train) "
                        + "in OUT/supervised, and its backbone exported.",
                "Example, the public set without the adult study: pneuknow pretrain --data ../shared/data/cxr "
                        + "--where recommended_main=0 --out runs/pretrain-cxr"})
final class PretrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory of the backbone.")
    Path out;

    @Option(names = "--images", description = "Folder of PNG/JPEG images, searched recursively (contrastive only; instead of --data).")
    Path images;

    @Mixin
    DataOptions dataOptions = new DataOptions();

    @Mixin
    SplitOptions splitOptions = new SplitOptions();

    @Option(names = "--objective", description = "contrastive (self-supervised) or supervised (transfer from labels) (default contrastive).")
    String objective = "contrastive";

    @FormerName(value = "--arch", since = "0.2.0")
    @Option(names = "--architecture", description = "Backbone architecture (default resnet18_half).")
    String architecture = "resnet18_half";

    @FormerName(value = "--size", since = "0.2.0")
    @Option(names = "--input-size", description = "Input size in pixels, a multiple of 32 (default 128).")
    int inputSize = 128;

    @Option(names = "--channels", description = "Input channels, 1 or 3 (default 1).")
    int channels = 1;

    @Option(names = "--epochs", description = "Epochs (default 20).")
    int epochs = 20;

    @FormerName(value = "--batch", since = "0.2.0")
    @Option(names = "--batch-size", description = "Images per step (default 64 contrastive, 16 supervised).")
    Integer batchSize;

    @FormerName(value = "--lr", since = "0.2.0")
    @Option(names = "--learning-rate", description = "Adam learning rate (default 1e-3 contrastive, 1e-4 supervised).")
    Float learningRate;

    @Option(names = "--temperature", description = "Contrastive: NT-Xent temperature (default 0.2).")
    float temperature = 0.2f;

    @Option(names = "--projection-dim", description = "Contrastive: output width of the projection head (default 128).")
    int projectionDim = 128;

    @Option(names = "--min-crop", description = "Contrastive: smallest random crop, share of the image area (default 0.35).")
    double minCrop = 0.35;

    @Option(names = "--augment", description = "Supervised: none, weak or strong (default strong).")
    String augment = "strong";

    @Option(names = "--class-weights", description = "Supervised: weight cross-entropy by inverse class frequency.")
    boolean classWeights;

    @Option(names = "--knn-probe", description = "Contrastive on --data: after pretraining, k-NN (k 10, 5 patient-grouped "
            + "folds) on the same labelled images with the pretrained and a freshly initialised backbone; recorded in backbone.json.")
    boolean knnProbe;

    @Option(names = "--seed", description = "Random seed (default 42).")
    long seed = 42;

    @Option(names = "--threads", description = "Engine threads, 0 for all cores (default 0).")
    int threads;

    @Option(names = "--loader-threads", description = "Threads preparing views/batches (default 1).")
    int loaderThreads = 1;

    @Option(names = "--resume", description = "Continue the pretraining in --out from its last completed epoch (same flags).")
    boolean resume;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintStream log = new PrintStream(System.err, true);
        String command = "pneuknow " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        boolean supervised = switch (objective) {
            case "contrastive" -> false;
            case "supervised" -> true;
            default -> throw new BadInputException("--objective '" + objective + "' is unknown; use contrastive or supervised");
        };
        if (images != null && dataOptions.data != null) {
            throw new BadInputException("--images and --data both given; pretrain on a folder (--images) or a data set (--data), not both");
        }
        if (images == null && dataOptions.data == null) {
            throw new BadInputException("no images given; pass --images DIR (a folder of PNG/JPEG) or --data DIR (a labelled data set)");
        }
        if (supervised && images != null) {
            throw new BadInputException("--objective supervised needs labels; pass --data DIR with a labels file instead of --images");
        }
        if (knnProbe && images != null) {
            throw new BadInputException("--knn-probe needs labels; pass --data DIR instead of --images, or leave out --knn-probe");
        }
        if (!supervised && (splitOptions.file != null || splitOptions.column != null || splitOptions.folds != null)) {
            throw new BadInputException("split options apply to --objective supervised only; contrastive pretraining "
                    + "uses every image given (choose them with --where)");
        }
        if (resume && !Files.isDirectory(out)) {
            throw new BadInputException(out + ": nothing to resume here; start without --resume");
        }
        EngineThreads.set(threads);
        BackboneCard card;
        if (supervised) {
            card = supervised(stdout, log, command);
        } else {
            Dataset dataset = null;
            PretrainImages source;
            String dataFingerprint = null;
            if (images != null) {
                source = PretrainImages.folder(images);
            } else {
                DataSpec dataSpec = dataOptions.toSpec(null);
                dataset = DatasetLoader.load(dataSpec);
                source = PretrainImages.of(dataset, dataset.samples(), dataset.population(dataSpec));
                dataFingerprint = Fingerprint.of(dataset);
            }
            stdout.printf("pretraining on %s%n", source.description());
            stdout.flush();
            ContrastiveConfig config = new ContrastiveConfig(architecture, inputSize, channels, epochs,
                    batchSize == null ? 64 : batchSize, learningRate == null ? 1e-3f : learningRate, temperature,
                    projectionDim, minCrop, seed, threads, loaderThreads).validated();
            card = new ContrastivePretrainer(config, log).run(source, out, resume, dataFingerprint, command);
            if (knnProbe) {
                card = KnnProbe.attach(out, dataset, source.description(), 10, 5, seed, seed, log);
            }
        }
        stdout.printf(Locale.ROOT, "%s backbone (%s, %d ch, %d px, %,d parameters) pretrained on %d images for %d epochs "
                        + "in %.0f s: %s (sha256 %s)%n", card.objective(), card.architecture(), card.inputChannels(),
                card.inputSize(), card.parameterCount(), card.images(), card.epochs(), card.seconds(),
                out.resolve(BackboneFile.CARD), card.weightsSha256().substring(0, 12));
        if (!card.history().isEmpty()) {
            BackboneCard.Epoch first = card.history().get(0);
            BackboneCard.Epoch last = card.history().get(card.history().size() - 1);
            stdout.printf(Locale.ROOT, "contrastive loss %.4f (epoch %d) -> %.4f (epoch %d)%n", first.loss(),
                    first.epoch(), last.loss(), last.epoch());
        }
        stdout.flush();
        return 0;
    }

    private BackboneCard supervised(PrintWriter stdout, PrintStream log, String command) throws IOException {
        DataSpec dataSpec = dataOptions.toSpec(null);
        Dataset dataset = DatasetLoader.load(dataSpec);
        Split split = splitOptions.resolve(splitOptions.toSpec(null), dataset, stdout);
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                split.samples(dataset, Split.TEST));
        if (parts.train().isEmpty() || parts.val().isEmpty()) {
            throw new BadInputException("the split leaves " + parts.train().size() + " training and " + parts.val().size()
                    + " validation images; both need images, check the split options");
        }
        TrainConfig config = TrainConfig.builder().architecture(architecture).inputSize(inputSize).channels(channels)
                .epochs(epochs).learningRate(learningRate == null ? TrainConfig.defaults().learningRate() : learningRate)
                .batchSize(batchSize == null ? 16 : batchSize).classWeights(classWeights).augment(augment).seed(seed)
                .threads(threads).loaderThreads(loaderThreads).build().validated();
        String fingerprint = Fingerprint.of(dataset);
        String description = dataset.population(dataSpec);
        TrainRun.Provenance provenance = new TrainRun.Provenance(Json.MAPPER.valueToTree(config), fingerprint,
                description, command);
        stdout.printf("supervised transfer: train %d, val %d, test %d images of %s%n", parts.train().size(),
                parts.val().size(), parts.test().size(), description);
        stdout.flush();
        return SupervisedTransfer.run(config, dataset, parts, provenance, description, out, resume, log);
    }
}
