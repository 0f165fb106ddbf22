package io.pneuknow.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Sample;
import io.pneuknow.guard.InputGuard;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.NoGrad;
import io.pneuknow.model.PretrainedStart;
import io.pneuknow.model.TorchScriptBackbone;
import io.pneuknow.transform.AugmentPreset;
import io.pneuknow.transform.PairedAugmenter;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.transform.Resize;
import io.pneuknow.transform.RoiMask;
import io.pneuknow.transform.RoiShape;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A whole training run into one output directory: prepares the images, then the configured
 * {@link TrainingMethod} trains its stages ({@link Stages}): the baseline, or for HKD the teacher
 * (stage 1, saved in {@code out/teacher}) and then the student (stage 2). Writes the model bundle, a history
 * CSV per stage and per-stage checkpoints; with {@code resume} it continues from them.
 */
public final class TrainRun {
    /** The samples of each part of the split. The test part may be empty. */
    public record Parts(List<Sample> train, List<Sample> val, List<Sample> test) {
    }

    /**
     * Provenance for the bundle: the resolved configuration, the data fingerprint, the population, the command and
     * the annotation snapshot a workspace job froze (null for none).
     */
    public record Provenance(JsonNode configuration, String dataFingerprint, String population, String command,
                             String annotationSnapshot) {
        /** Provenance without an annotation snapshot. */
        public Provenance(JsonNode configuration, String dataFingerprint, String population, String command) {
            this(configuration, dataFingerprint, population, command, null);
        }
    }

    /** The outcome: the final model's card, its test accuracy (NaN without test images) and, for HKD, the teacher's. */
    public record Outcome(ModelCard model, double testAccuracy, ModelCard teacher, double teacherTestAccuracy,
                          int testImages, int teacherTestImages, double teacherTestAccuracyWithoutNoFinding) {
    }

    private final TrainConfig config;
    private final PrintStream log;
    /** What the networks started from (the same file for every stage); null for a random initialisation. */
    private ModelCard.Pretrained pretrained;
    /** The training images' pixel statistics, for the input guard of predict and serve. */
    private ModelCard.InputStatistics inputStatistics;
    /** The images of the run's parts, for model.json: evaluation refuses to score what the model learned from. */
    private ModelCard.DataParts dataParts;

    private static List<Sample> withGuidance(List<Sample> samples) {
        return samples.stream().map(Sample::withGuidanceAsRegions).toList();
    }

    public TrainRun(TrainConfig config, PrintStream log) {
        this.config = config.validated();
        this.log = log;
    }

    /**
     * Trains into {@code out}. Refuses (before anything is prepared) a split without validation
     * images unless the settings allow it ({@code allowNoValidation}): the kept epoch would be chosen by nothing.
     * Holds the JVM-wide engine lease ({@link EngineThreads#exclusive}) while it trains: a second
     * training started meanwhile in this JVM waits, saying so on the log.
     */
    public Outcome run(Dataset dataset, Parts parts, Provenance provenance, Path out, boolean resume) throws IOException {
        if (parts.val().isEmpty() && !config.allowNoValidation()) {
            throw new io.pneuknow.BadInputException("the split leaves no validation images (" + parts.train().size()
                    + " training, " + parts.test().size() + " test), so no epoch could be chosen by validation; give the"
                    + " split a val part (val, valid, validation or dev), or train without one with --allow-no-validation"
                    + " (\"allowNoValidation\": true in a config or study file), which keeps each stage's last epoch");
        }
        // the engine's random generator and thread count are process-wide: one training at a time per JVM
        try (EngineThreads.Lease ignored = EngineThreads.exclusive(config.threads(), log)) {
            return runAlone(dataset, parts, provenance, out, resume);
        }
    }

    private Outcome runAlone(Dataset dataset, Parts parts, Provenance provenance, Path out, boolean resume)
            throws IOException {
        Preprocessor preprocessor = Preprocessor.defaults(config.inputSize(), config.channels());
        RoiPolicy policy = config.roiPolicy();
        log.printf("preparing %d images at %d px%n", parts.train().size() + parts.val().size() + parts.test().size(),
                config.inputSize());
        // guidance regions (e.g. the lungs, when the data settings name them) stand in for missing expert
        // regions in training and validation; the test part keeps the expert's regions only
        List<PreparedSample> train = keepAnnotations(prepare(withGuidance(parts.train()), dataset, preprocessor, policy),
                policy);
        List<PreparedSample> val = prepare(withGuidance(parts.val()), dataset, preprocessor, policy);
        List<PreparedSample> test = prepare(parts.test(), dataset, preprocessor, policy);
        float[] classWeights = config.classWeights() ? classWeights(train, dataset.classes().size()) : null;
        // the input guard of predict and serve compares new images with these
        inputStatistics = InputGuard.trainingStatistics(parts.train().stream().map(Sample::file).toList(),
                parts.val().stream().map(Sample::file).toList(), preprocessor);
        dataParts = ModelCard.DataParts.of(parts.train().stream().map(Sample::file).toList(),
                parts.val().stream().map(Sample::file).toList(), parts.test().stream().map(Sample::imageId).toList());
        log.printf(Locale.ROOT, "imbalance: %s sampling, %s%s loss%s; %s%s%n",
                config.sampling(), config.classWeights() ? "class-weighted " : "", config.loss(),
                config.lossGamma() > 0 ? " (gamma " + config.focalGamma() + ")" : "",
                val.isEmpty() ? "kept epoch: the last (no validation images)" : "kept epoch by validation " + config.selectBy(),
                config.patience() > 0 && !val.isEmpty() ? ", early stopping after " + config.patience()
                        + " epoch(s) without a better one" : "");
        // null: the backbone is a TorchScript file (--architecture torchscript --pretrained FILE)
        Architecture architecture = TorchScriptBackbone.named(config.architecture()) ? null
                : Architecture.fromCliName(config.architecture());
        PairedAugmenter augmenter = new PairedAugmenter(AugmentPreset.parse(config.augment()));
        try (BatchLoader loader = new BatchLoader(augmenter, preprocessor, config.seed(), config.loaderThreads());
             NDManager manager = NDManager.newBaseManager()) {
            StageTrainer trainer = new StageTrainer(config, loader, classWeights, log);
            int classes = dataset.classes().size();
            TrainingMethod method = TrainingMethods.of(config.method().name());
            return method.train(new Stages(dataset, preprocessor, provenance, out, resume, train, val, test, architecture,
                    classes, manager, loader, trainer));
        }
    }

    /**
     * What a {@link TrainingMethod} trains its stages with: the prepared parts of the split, fresh
     * networks, the stage trainer, and the saving and scoring of a stage's network, in the run's
     * directory. A stage named {@code NAME} checkpoints in {@code checkpoints/NAME} and writes
     * {@code history-NAME.csv}.
     */
    public final class Stages {
        private final Dataset dataset;
        private final Preprocessor preprocessor;
        private final Provenance provenance;
        private final Path out;
        private final boolean resume;
        private final List<PreparedSample> train;
        private final List<PreparedSample> val;
        private final List<PreparedSample> test;
        private final Architecture architecture;
        private final int classes;
        private final NDManager manager;
        private final BatchLoader loader;
        private final StageTrainer trainer;

        private Stages(Dataset dataset, Preprocessor preprocessor, Provenance provenance, Path out, boolean resume,
                       List<PreparedSample> train, List<PreparedSample> val, List<PreparedSample> test,
                       Architecture architecture, int classes, NDManager manager, BatchLoader loader,
                       StageTrainer trainer) {
            this.dataset = dataset;
            this.preprocessor = preprocessor;
            this.provenance = provenance;
            this.out = out;
            this.resume = resume;
            this.train = train;
            this.val = val;
            this.test = test;
            this.architecture = architecture;
            this.classes = classes;
            this.manager = manager;
            this.loader = loader;
            this.trainer = trainer;
        }

        TrainConfig config() {
            return config;
        }

        PrintStream log() {
            return log;
        }

        Path out() {
            return out;
        }

        List<PreparedSample> train() {
            return train;
        }

        List<PreparedSample> val() {
            return val;
        }

        List<PreparedSample> test() {
            return test;
        }

        /**
         * A freshly initialised network for a stage on draw {@code draw} ({@link StageTrainer#FINAL_STAGE_DRAW}
         * for a method's final stage, {@link StageTrainer#TEACHER_DRAW} for the teacher): its weights depend on
         * (seed, draw) alone, so the final stages of all methods start from the same weights. Logs their hash
         * ({@code initial weights of draw D (whose): sha256 H}), which shows a pair's shared start.
         */
        ClassifierNet newNet(int draw) throws IOException {
            ClassifierNet net = TrainRun.this.newNet(architecture, classes, manager, draw);
            String hash = ModelBundle.writeWeights(net, OutputStream.nullOutputStream());
            log.printf("initial weights of draw %d (%s): sha256 %s%n", draw, draw == StageTrainer.FINAL_STAGE_DRAW
                    ? "every method's final stage" : "the teacher", hash);
            return net;
        }

        /** Trains the stage (resuming from its checkpoints when the run resumes) and writes its history. */
        StageTrainer.Result run(StageTrainer.Stage stage, ClassifierNet net) throws IOException {
            StageTrainer.Result result = trainer.run(stage, net, manager, out.resolve("checkpoints/" + stage.name()), resume);
            writeHistory(out.resolve("history-" + stage.name() + ".csv"), result);
            return result;
        }

        /**
         * Saves the network as a model bundle in {@code dir}, its card naming {@code method} and the run's parts
         * (trained on every training image, selected on every validation image).
         */
        ModelCard save(Path dir, ClassifierNet net, String method, ModelCard.TeacherInfo teacher,
                       StageTrainer.Result result, int epochs) throws IOException {
            return ModelBundle.save(dir, net, card(dataset, preprocessor, provenance, method, teacher, result, epochs,
                    dataParts));
        }

        /**
         * {@link #save}, for a stage that trained on {@code trainedOn} and chose its epoch on {@code selectedOn}
         * (the images of the items, e.g. the teacher's share): its card names those as its parts.
         */
        ModelCard save(Path dir, ClassifierNet net, String method, ModelCard.TeacherInfo teacher,
                       StageTrainer.Result result, int epochs, List<BatchLoader.Item> trainedOn,
                       List<BatchLoader.Item> selectedOn) throws IOException {
            ModelCard.DataParts stageParts = ModelCard.DataParts.of(
                    trainedOn.stream().map(item -> item.sample().sample().file()).toList(),
                    selectedOn.stream().map(item -> item.sample().sample().file()).toList(), dataParts.testImageIds());
            return ModelBundle.save(dir, net, card(dataset, preprocessor, provenance, method, teacher, result, epochs,
                    stageParts));
        }

        /** Accuracy of the net on the items (no augmentation); NaN when there are none. */
        double accuracy(ClassifierNet net, List<BatchLoader.Item> items, StageTrainer.Input input) {
            return TrainRun.this.accuracy(net, loader, items, input, manager);
        }

        /** See {@link TrainRun#roiViews}. */
        List<BatchLoader.Item> roiViews(List<PreparedSample> samples, int stream) {
            return TrainRun.this.roiViews(samples, stream);
        }
    }

    /**
     * A network initialised from the seed of its draw (per stage; the final stages of all methods share
     * one), so each stage starts fresh and repeatably; with pretrained weights configured, its backbone then takes them (the head keeps
     * its seeded initialisation). Without an architecture, the backbone is the TorchScript file
     * configured as pretrained.
     */
    private ClassifierNet newNet(Architecture architecture, int classes, NDManager manager, int draw) {
        if (architecture == null) {
            // the file is the backbone; the head is seeded per draw as for the other architectures
            Engine.getInstance().setRandomSeed((int) Schedules.mix(config.seed(), draw, 99));
            TorchScriptBackbone.Loaded loaded = TorchScriptBackbone.load(Path.of(config.pretrained()), classes,
                    config.channels(), config.dropout(), config.inputSize(), manager);
            recordPretrained(loaded.pretrained());
            return loaded.net();
        }
        ClassifierNet net = architecture.build(classes, config.channels(), config.dropout());
        Engine.getInstance().setRandomSeed((int) Schedules.mix(config.seed(), draw, 99));
        Architectures.initialize(net, manager, config.inputSize());
        if (config.pretrained() != null) {
            recordPretrained(PretrainedStart.loadInto(net, config.architecture(), Path.of(config.pretrained())));
        }
        return net;
    }

    /** Keeps what the networks started from for model.json; logs it once (every stage starts from the same file). */
    private void recordPretrained(ModelCard.Pretrained loaded) {
        if (pretrained == null) {
            log.printf("pretrained: %s (%s; %s), sha256 %s%n", loaded.file(), loaded.format(), loaded.detail(),
                    loaded.sha256().substring(0, 12));
        }
        pretrained = loaded;
    }

    /**
     * Each sample with the source of its ROI region: itself, or in the shuffled-ROI control a
     * fixed partner (see {@link #shuffledRoiViews}), whose region is applied to this sample's image
     * (so the teacher's view no longer shows where this image's expert looked).
     */
    private List<BatchLoader.Item> roiViews(List<PreparedSample> samples, int stream) {
        if (!config.teacherInput().equals("shuffled-roi")) {
            return items(samples, true);
        }
        return shuffledRoiViews(samples, config.roiPolicy(), Schedules.mix(config.seed(), stream));
    }

    /**
     * The shuffled-ROI control's views, a test of the regions' location only: the images with drawn
     * regions ({@link RoiPolicy.Kind#REGIONS}) are paired among themselves by a seeded permutation
     * without fixed points, each getting its partner's regions; every other image keeps its own view
     * (a no-finding image its empty ROI, an unannotated one its whole image or none), so the teacher's
     * views still tell which images have no finding, exactly as in HKD.
     */
    static List<BatchLoader.Item> shuffledRoiViews(List<PreparedSample> samples, RoiPolicy policy, long seed) {
        List<Integer> drawn = IntStream.range(0, samples.size())
                .filter(i -> samples.get(i).hasRoi() && policy.kindOf(samples.get(i).sample()) == RoiPolicy.Kind.REGIONS)
                .boxed().toList();
        List<PreparedSample> source = new ArrayList<>(samples);
        if (drawn.size() >= 2) {
            List<Integer> order = new ArrayList<>(drawn);
            Collections.shuffle(order, new Random(seed));
            // a cyclic shift of a random order: a random permutation of the drawn images without fixed points
            for (int k = 0; k < order.size(); k++) {
                source.set(order.get(k), samples.get(order.get((k + 1) % order.size())));
            }
        }
        List<BatchLoader.Item> items = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            items.add(new BatchLoader.Item(samples.get(i), source.get(i)));
        }
        return items;
    }

    /** The items whose ROI source has a region (the teacher trains and is scored on those only). */
    static List<BatchLoader.Item> withRoiView(List<BatchLoader.Item> items) {
        return items.stream().filter(item -> item.roiSource().hasRoi()).toList();
    }

    static List<BatchLoader.Item> items(List<PreparedSample> samples, boolean withRoiView) {
        return samples.stream().map(s -> new BatchLoader.Item(s, withRoiView ? s : null)).toList();
    }

    static List<PreparedSample> withRoi(List<PreparedSample> samples) {
        return samples.stream().filter(PreparedSample::hasRoi).toList();
    }

    /** Decodes, builds ROI masks and resizes once, in parallel; the index of a sample is its place in the data set. */
    private List<PreparedSample> prepare(List<Sample> samples, Dataset dataset, Preprocessor preprocessor, RoiPolicy policy) {
        Map<String, Integer> indexOf = new LinkedHashMap<>();
        for (int i = 0; i < dataset.samples().size(); i++) {
            indexOf.put(dataset.samples().get(i).imageId(), i);
        }
        RoiShape shape = RoiShape.valueOf(config.roiShape().toUpperCase(Locale.ROOT));
        int size = config.inputSize();
        return samples.parallelStream().map(s -> {
            GreyImage raw = ImageFiles.read(s.file());
            GreyImage mask = switch (policy.kindOf(s)) {
                case REGIONS -> Resize.maskTo(RoiMask.build(s, raw.width(), raw.height(), config.roiMargin(), shape,
                        ImageFiles::readMask), size, size);
                case EMPTY -> GreyImage.blank(size, size);
                case WHOLE_IMAGE -> ones(size);
                case NONE -> null;
            };
            return new PreparedSample(indexOf.get(s.imageId()), s, Resize.to(raw, size, size), mask);
        }).toList();
    }

    /**
     * Keeps the regions of a seeded share ({@code method.regionsKeptFraction}, study name
     * {@code hkd-regions-kept-F}) of the annotated training images; the others are treated as
     * unannotated by every stage (the teacher and the student's feature term). This is not the
     * reference's annotation-fraction control, which trains the teacher on a share of the images
     * ({@code method.teacherFraction}, {@link TeacherShare}).
     */
    private List<PreparedSample> keepAnnotations(List<PreparedSample> train, RoiPolicy policy) {
        double fraction = config.regionsKeptFraction();
        if (fraction >= 1) {
            return train;
        }
        List<Integer> annotated = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            if (policy.kindOf(train.get(i).sample()) == RoiPolicy.Kind.REGIONS) {
                annotated.add(i);
            }
        }
        Collections.shuffle(annotated, new Random(Schedules.mix(config.seed(), 6)));
        java.util.Set<Integer> dropped = new java.util.HashSet<>(
                annotated.subList((int) Math.round(fraction * annotated.size()), annotated.size()));
        List<PreparedSample> out = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            PreparedSample s = train.get(i);
            out.add(dropped.contains(i) ? new PreparedSample(s.index(), s.sample(), s.image(), null) : s);
        }
        log.printf("regions of %d of %d annotated training images kept (method.regionsKeptFraction %.2f); the others"
                        + " are region-less for the teacher and the student%n",
                annotated.size() - dropped.size(), annotated.size(), fraction);
        return out;
    }

    private static GreyImage ones(int size) {
        float[] px = new float[size * size];
        java.util.Arrays.fill(px, 1f);
        return new GreyImage(size, size, px);
    }

    /** Inverse-frequency class weights {@code n / (K * n_c)}, as scikit-learn's "balanced". */
    static float[] classWeights(List<PreparedSample> train, int classes) {
        int[] counts = new int[classes];
        train.forEach(s -> counts[s.label()]++);
        float[] w = new float[classes];
        for (int c = 0; c < classes; c++) {
            w[c] = counts[c] == 0 ? 0f : (float) train.size() / (classes * counts[c]);
        }
        return w;
    }

    /** Accuracy of the net on the items (no augmentation); NaN when there are none. */
    private double accuracy(ClassifierNet net, BatchLoader loader, List<BatchLoader.Item> items,
                            StageTrainer.Input input, NDManager manager) {
        if (items.isEmpty()) {
            return Double.NaN;
        }
        int correct = 0;
        ParameterStore store = new ParameterStore(manager, false);
        boolean raw = input == StageTrainer.Input.RAW;
        for (List<BatchLoader.Item> batch : StageTrainer.partition(items, Math.max(8, config.batchSize()))) {
            BatchLoader.HostBatch host = loader.build(batch, 0, false, raw, !raw);
            try (NoGrad ignored = NoGrad.start(); NDManager scratch = manager.newSubManager()) {
                NDArray x = scratch.create(raw ? host.raw() : host.roi(),
                        new Shape(host.size(), config.channels(), config.inputSize(), config.inputSize()));
                int[] predicted = Losses.argmax(net.forward(store, new NDList(x), false).get(0));
                for (int i = 0; i < host.size(); i++) {
                    correct += predicted[i] == host.labels()[i] ? 1 : 0;
                }
            }
        }
        return (double) correct / items.size();
    }

    private ModelCard card(Dataset dataset, Preprocessor preprocessor, Provenance provenance, String method,
                           ModelCard.TeacherInfo teacher, StageTrainer.Result result, int epochs,
                           ModelCard.DataParts stageParts) {
        EpochRecord best = result.best();
        ModelCard.Checkpoint checkpoint = new ModelCard.Checkpoint(result.bestEpoch(), result.history().size(),
                result.bestValLoss(), result.bestValAccuracy(), best.valBalancedAccuracy(), best.valMacroF1(),
                result.selectedBy(), epochs, result.stoppedEarly());
        return new ModelCard(ModelCard.FORMAT, "", ModelBundle.WEIGHTS, "", dataset.classes(), config.architecture(),
                config.channels(), config.dropout(), preprocessor, method, teacher, provenance.configuration(),
                config.seed(), provenance.dataFingerprint(), Versions.all(), checkpoint, ModelCard.INTENDED_USE,
                provenance.population(), Instant.now().toString(), provenance.command(), pretrained, inputStatistics,
                stageParts, provenance.annotationSnapshot());
    }

    /** The header of a history CSV: the epoch records' columns, then the stage's outcome per row. */
    static final String HISTORY_HEADER = EpochRecord.CSV_HEADER + ",kept,stopped_early,data_wait_seconds";

    /** The last column of a history CSV whose stage has the energy term (absent otherwise). */
    static final String ENERGY_COLUMN = "train_energy";

    /**
     * One row per epoch trained: the {@link EpochRecord} columns, then {@code kept} (1 on the
     * epoch whose weights were kept) and {@code stopped_early} (1 on the last row when early
     * stopping ended the stage there, before its planned epochs), then {@code data_wait_seconds}
     * (of the epoch's {@code seconds}, the time training waited for the loader's next batch), then,
     * only for a stage whose loss has the energy term, {@code train_energy} (NaN in an epoch
     * without an image with a region).
     */
    static String historyCsv(StageTrainer.Result result) {
        List<EpochRecord> history = result.history();
        boolean energy = history.stream().anyMatch(r -> !Double.isNaN(r.trainEnergy()));
        StringBuilder csv = new StringBuilder(HISTORY_HEADER).append(energy ? "," + ENERGY_COLUMN : "").append('\n');
        for (int e = 0; e < history.size(); e++) {
            boolean stoppedHere = result.stoppedEarly() && e == history.size() - 1;
            csv.append(history.get(e).toCsv()).append(',').append(e == result.bestEpoch() ? 1 : 0).append(',')
                    .append(stoppedHere ? 1 : 0).append(',')
                    .append(String.format(Locale.ROOT, "%.2f", history.get(e).dataWaitSeconds()));
            if (energy) {
                csv.append(',').append(String.format(Locale.ROOT, "%.6f", history.get(e).trainEnergy()));
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    private static void writeHistory(Path file, StageTrainer.Result result) throws IOException {
        AtomicFiles.writeString(file, historyCsv(result));
    }
}
