package io.pneuknow.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.Gradients;
import io.pneuknow.model.NoGrad;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

/**
 * Trains one network for one stage: the baseline or the teacher with cross-entropy, or the
 * student with the distillation loss of Schaudt et al. (2023),
 * {@code alpha(e) * MSE(F_teacher(roi), F_student(image)) + (1 - alpha(e)) * CE}, or a stage whose
 * loss adds a term of its own (the energy term). The step computes the classification term and, with
 * a teacher, the teacher's features (the teacher is frozen: it runs in inference mode outside the
 * gradient tape); the stage's {@link TrainingMethod.StageLoss} makes the batch loss of those, the
 * logits and the feature map of the same forward pass (and, when it asks, the expert regions'
 * shares of the feature grid), and names its terms for the history.
 *
 * <p>The classification term is cross-entropy or focal loss ({@link Losses#classification}),
 * class-weighted or not; the epoch's samples are shuffled or drawn class-balanced
 * ({@link EpochSampler}). Validation gives the loss, accuracy, balanced accuracy and macro-F1 of
 * every epoch.
 *
 * <p>Every epoch reseeds the engine (dropout) and the sampler from (seed, stage's draw, epoch), and ends
 * with a checkpoint (weights, optimizer state, history), so a killed run resumes from its last
 * completed epoch and ends with the same weights as an uninterrupted one. The kept weights are
 * those of the best epoch by the configured validation metric, and the stage may stop early
 * ({@link Selection}); both are decided from the history, so they survive a resume as well.
 */
public final class StageTrainer {
    /** What the trained network sees. */
    public enum Input { RAW, ROI }

    /**
     * The draw (stage id) of every method's final stage, the network it deploys: the baseline, the
     * HKD student, the energy method's and hkd-energy's student. A stage's draw seeds its initial
     * weights ({@code TrainRun}), its batch order ({@link EpochSampler}) and its epochs' engine reseed
     * (dropout); augmentation is seeded by (seed, epoch, sample) alone. So a baseline and a student of
     * the same seed start from the same weights and see the same batches, dropout draws and
     * augmented images, and their paired comparison measures the guidance, not the draw.
     */
    public static final int FINAL_STAGE_DRAW = 0;

    /** The draw of the HKD teacher, a stream of its own apart from the final stage's. */
    public static final int TEACHER_DRAW = 1;

    /**
     * The frozen teacher of a distillation stage, what it sees, and which map the feature term compares:
     * the last feature map, or with {@code previousLevel} the map of the level before it (twice as fine,
     * {@link ClassifierNet#previousAndLastMaps}), of the teacher and the student alike.
     */
    public record Teacher(Block net, Input input, float alpha0, int kdEpochs, boolean previousLevel) {
        /** A teacher whose last feature map is compared. */
        public Teacher(Block net, Input input, float alpha0, int kdEpochs) {
            this(net, input, alpha0, kdEpochs, false);
        }
    }

    /**
     * Everything a stage needs. {@code stageId} is the stage's draw: it picks the random streams of the
     * batch order and of the dropout reseeds ({@link #FINAL_STAGE_DRAW} for a method's final stage,
     * {@link #TEACHER_DRAW} for the teacher); {@code loss} (from the {@link TrainingMethod}) makes the
     * batch loss from what the step computed.
     */
    public record Stage(String name, int stageId, Input input, int epochs, List<BatchLoader.Item> train,
                        List<BatchLoader.Item> val, Teacher teacher, TrainingMethod.StageLoss loss) {
        /** A stage whose loss is the distillation loss with a teacher, the classification term without. */
        public Stage(String name, int stageId, Input input, int epochs, List<BatchLoader.Item> train,
                     List<BatchLoader.Item> val, Teacher teacher) {
            this(name, stageId, input, epochs, train, val, teacher, teacher == null
                    ? TrainingMethod.StageLoss.CLASSIFICATION : TrainingMethod.StageLoss.DISTILLATION);
        }
    }

    /**
     * The result of a stage: the epoch that was kept and its validation figures, the metric that
     * chose it, the history (one row per epoch trained) and whether the stage stopped early, before
     * its {@code plannedEpochs}.
     */
    public record Result(int bestEpoch, double bestValLoss, double bestValAccuracy, List<EpochRecord> history,
                         String selectedBy, boolean stoppedEarly, int plannedEpochs) {
        /** The kept epoch's history row. */
        public EpochRecord best() {
            return history.get(bestEpoch);
        }
    }

    private final TrainConfig settings;
    private final BatchLoader loader;
    private final float[] classWeights;
    private final PrintStream log;

    StageTrainer(TrainConfig settings, BatchLoader loader, float[] classWeights, PrintStream log) {
        this.settings = settings;
        this.loader = loader;
        this.classWeights = classWeights;
        this.log = log;
    }

    /** Trains {@code net} (already initialised) through the stage, resuming from {@code dir} when it holds a checkpoint. */
    public Result run(Stage stage, Block net, NDManager manager, Path dir, boolean resume) throws IOException {
        List<Parameter> trainable = new ArrayList<>();
        for (Pair<String, Parameter> p : net.getParameters()) {
            if (p.getValue().requiresGradient()) {
                trainable.add(p.getValue());
            }
        }
        float[] tunedScale = backboneScale(net, trainable, settings.backboneRateScale());
        float[] frozenScale = settings.freezeBackboneEpochs() > 0 ? backboneScale(net, trainable, 0f) : null;
        int batchSize = settings.batchSize();
        int stepsPerEpoch = (stage.train().size() + batchSize - 1) / batchSize;
        try (Adam adam = new Adam(trainable, manager)) {
            StageCheckpoint checkpoint = new StageCheckpoint(dir);
            StageCheckpoint.State state = resume ? checkpoint.load(net, adam, manager) : null;
            if (state == null) {
                state = StageCheckpoint.State.fresh(stage.name());
            }
            ParameterStore store = new ParameterStore(manager, false);
            TeacherPass teacherPass = stage.teacher() == null ? null : new TeacherPass(stage.teacher().net(), store,
                    stage.teacher().previousLevel());
            Progress progress = new Progress(log, Progress.onTerminal(), stage.name(), state.epochsDone(),
                    stage.epochs(), stepsPerEpoch);
            Selection selection = Selection.of(settings, stage);
            if (stage.val().isEmpty()) {
                log.printf("%s: no validation images%s: the last epoch trained is kept (there is no validation %s to"
                        + " choose by)%n", stage.name(), settings.allowNoValidation() ? " (allowed)" : "",
                        selection.describe().substring("val ".length()));
            }
            // a resumed stage that had already stopped early stays stopped
            boolean stopped = selection.stopsAfter(state.history(), state.bestEpoch(), stage.epochs());
            // the expert regions on the feature grid, when the stage's loss uses them
            int shareGrid = stage.loss().needsRegionShares() ? settings.inputSize() / Architecture.FEATURE_STRIDE : 0;
            for (int epoch = state.epochsDone(); epoch < stage.epochs() && !stopped; epoch++) {
                long start = System.nanoTime();
                Engine.getInstance().setRandomSeed((int) Schedules.mix(settings.seed(), stage.stageId(), epoch, 7));
                List<BatchLoader.Item> order = EpochSampler.order(stage.train(), settings.balancedSampling(),
                        settings.seed(), stage.stageId(), epoch);
                float alpha = stage.teacher() == null ? 0f
                        : Schedules.alpha(stage.teacher().alpha0(), stage.teacher().kdEpochs(), epoch);
                Totals totals = new Totals();
                boolean frozen = epoch < settings.freezeBackboneEpochs();
                float lr = 0;
                List<List<BatchLoader.Item>> batches = partition(order, batchSize);
                boolean wantRaw = stage.input() == Input.RAW;
                boolean wantRoi = stage.input() == Input.ROI
                        || (stage.teacher() != null && stage.teacher().input() == Input.ROI && alpha > 0);
                CompletableFuture<BatchLoader.HostBatch> next = loader.load(batches.get(0), epoch, true, wantRaw, wantRoi,
                        shareGrid);
                long waitNanos = 0;
                for (int b = 0; b < batches.size(); b++) {
                    long waitStart = System.nanoTime();
                    BatchLoader.HostBatch host = join(next);
                    waitNanos += System.nanoTime() - waitStart;
                    if (b + 1 < batches.size()) {
                        next = loader.load(batches.get(b + 1), epoch, true, wantRaw, wantRoi, shareGrid);
                    }
                    lr = Schedules.learningRate(settings.learningRate(), epoch, stage.epochs(),
                            (long) epoch * stepsPerEpoch + b, settings.perBatchSchedule());
                    double loss = step(stage, net, store, teacherPass, manager, host, alpha, frozen, totals);
                    adam.step(lr, frozen ? frozenScale : tunedScale);
                    progress.step(epoch, b, loss);
                }
                Evaluation val = validate(stage, net, store, manager);
                double seconds = (System.nanoTime() - start) / 1e9;
                EpochRecord record = new EpochRecord(epoch, lr, alpha, totals.loss / totals.batches,
                        totals.ce / totals.batches, totals.mean(TrainingMethod.StageLoss.FEATURE_TERM),
                        (double) totals.correct / totals.seen,
                        val.loss(), val.accuracy(), seconds, val.balancedAccuracy(), val.macroF1(), waitNanos / 1e9,
                        totals.mean(TrainingMethod.StageLoss.ENERGY_TERM));
                state = state.after(record, selection);
                checkpoint.save(state, net, adam);
                progress.epoch(epoch, record.summary() + (state.bestEpoch() == epoch ? " *" : ""));
                stopped = selection.stopsAfter(state.history(), state.bestEpoch(), stage.epochs());
            }
            if (stopped) {
                log.printf("%s: stopped early after epoch %d of %d: no better %s for %d epoch(s) after epoch %d%n",
                        stage.name(), state.epochsDone(), stage.epochs(), selection.describe(), selection.patience(),
                        Math.max(state.bestEpoch(), selection.featureEpochs() - 1) + 1);
            }
            if (teacherPass != null && teacherPass.forwardedShare() < 1) {
                log.printf(Locale.ROOT, "%s: the teacher ran on %.0f%% of the ROI views; the rest were the all-black"
                        + " view (no region in view), whose features it computed once%n", stage.name(),
                        100 * teacherPass.forwardedShare());
            }
            checkpoint.loadBest(state, net, manager);
            EpochRecord best = state.history().get(state.bestEpoch());
            return new Result(state.bestEpoch(), best.valLoss(), best.valAccuracy(), state.history(),
                    selection.metric(), stopped, stage.epochs());
        }
    }

    /**
     * The learning-rate multiple of each trainable parameter: {@code backbone} for those of a
     * {@link ClassifierNet}'s backbone, 1 for the rest; null when all are 1.
     */
    private static float[] backboneScale(Block net, List<Parameter> trainable, float backbone) {
        if (backbone == 1f) {
            return null;
        }
        if (!(net instanceof ClassifierNet classifier)) {
            throw new IllegalArgumentException("a backbone learning rate or freezing needs a ClassifierNet");
        }
        Set<Parameter> inBackbone = Collections.newSetFromMap(new IdentityHashMap<>());
        classifier.backbone().getParameters().forEach(p -> inBackbone.add(p.getValue()));
        float[] scale = new float[trainable.size()];
        for (int i = 0; i < scale.length; i++) {
            scale[i] = inBackbone.contains(trainable.get(i)) ? backbone : 1f;
        }
        return scale;
    }

    /**
     * The forward pass of a training step: the whole net in training mode, or with the backbone
     * {@code frozen} the backbone in inference mode (BatchNorm statistics unchanged) outside the
     * gradient and only the head in training mode.
     */
    private static NDList trainingForward(Block net, ParameterStore store, NDArray x, boolean frozen,
                                          boolean previousLevel) {
        if (previousLevel) {
            // NDList(logits, last map, previous level's map), the head on the last map
            if (frozen) {
                throw new IllegalStateException("a frozen backbone has no feature term to train");
            }
            ClassifierNet classifier = (ClassifierNet) net;
            NDList maps = classifier.previousAndLastMaps(store, x, true);
            return new NDList(classifier.headForward(store, maps.get(1), true), maps.get(1), maps.get(0));
        }
        if (!frozen) {
            return net.forward(store, new NDList(x), true);
        }
        ClassifierNet classifier = (ClassifierNet) net;
        NDArray features;
        try (NoGrad ignored = NoGrad.start()) {
            features = classifier.features(store, x, false);
        }
        return new NDList(classifier.headForward(store, features, true), features);
    }

    private double step(Stage stage, Block net, ParameterStore store, TeacherPass teacherPass, NDManager manager,
                        BatchLoader.HostBatch host, float alpha, boolean frozen, Totals totals) {
        int n = host.size();
        Shape shape = new Shape(n, settings.channels(), settings.inputSize(), settings.inputSize());
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.create(stage.input() == Input.RAW ? host.raw() : host.roi(), shape);
            NDArray targets = batch.create(host.labels());
            NDArray teacherFeatures = null;
            NDArray roiWeights = null;
            if (stage.teacher() != null && alpha > 0) {
                // outside the gradient tape and in inference mode: the teacher stays frozen
                teacherFeatures = stage.teacher().input() == Input.ROI
                        ? teacherPass.features(batch, host.roi(), host.blankRoi(), shape)
                        : teacherFeatures(stage.teacher().net(), store, x, stage.teacher().previousLevel());
                roiWeights = stage.teacher().input() == Input.ROI ? batch.create(host.roiWeights())
                        : batch.ones(new Shape(n));
            }
            NDArray regionShares = null;
            NDArray regionWeights = null;
            int imagesWithRegion = 0;
            if (host.regionShares() != null) {
                int grid = (int) Math.round(Math.sqrt(host.regionShares().length / (double) n));
                regionShares = batch.create(host.regionShares(), new Shape(n, grid, grid));
                regionWeights = batch.create(host.regionWeights());
                for (float w : host.regionWeights()) {
                    imagesWithRegion += w > 0 ? 1 : 0;
                }
            }
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                Gradients.zero(net);
                boolean previousLevel = stage.teacher() != null && stage.teacher().previousLevel();
                NDList out = trainingForward(net, store, x, frozen, previousLevel);
                NDArray logits = out.get(0);
                NDArray ce = Losses.classification(logits, targets, sampleWeights(batch, host.labels()),
                        settings.lossGamma());
                TrainingMethod.StageLoss.BatchLoss batchLoss = stage.loss().of(new TrainingMethod.StageLoss.Step(ce,
                        logits, out.get(1), out.get(previousLevel ? 2 : 1),
                        net instanceof ClassifierNet classifier ? classifier : null, targets,
                        regionShares, regionWeights, imagesWithRegion, teacherFeatures, roiWeights, alpha));
                NDArray loss = batchLoss.total();
                batchLoss.terms().forEach((name, term) -> totals.addTerm(name, term.getFloat()));
                tape.backward(loss);
                totals.add(loss.getFloat(), ce.getFloat(), logits, host.labels());
                return loss.getFloat();
            }
        }
    }

    /** The frozen teacher's feature maps, in inference mode; a ClassifierNet's head is not run. */
    private static NDArray teacherFeatures(Block teacher, ParameterStore store, NDArray x, boolean previousLevel) {
        try (NoGrad ignored = NoGrad.start()) {
            if (previousLevel) {
                return ((ClassifierNet) teacher).previousAndLastMaps(store, x, false).get(0);
            }
            if (teacher instanceof ClassifierNet classifier) {
                return classifier.features(store, x, false);
            }
            return teacher.forward(store, new NDList(x), false).get(1);
        }
    }

    private NDArray sampleWeights(NDManager batch, int[] labels) {
        if (classWeights == null) {
            return null;
        }
        float[] w = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            w[i] = classWeights[labels[i]];
        }
        return batch.create(w);
    }

    /**
     * The classification loss (as trained: cross-entropy or focal, class-weighted like training,
     * averaged by the sum of the weights), accuracy, balanced accuracy and macro-F1 on the
     * validation items, without augmentation. All NaN without validation items; the two macro
     * metrics NaN when an output is not a number.
     */
    private Evaluation validate(Stage stage, Block net, ParameterStore store, NDManager manager) {
        if (stage.val().isEmpty()) {
            return new Evaluation(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double lossSum = 0;
        double weightSum = 0;
        int correct = 0;
        boolean finite = true;
        List<Prediction> predictions = new ArrayList<>();
        int classes = 0;
        boolean raw = stage.input() == Input.RAW;
        for (List<BatchLoader.Item> items : partition(stage.val(), settings.batchSize())) {
            BatchLoader.HostBatch host = loader.build(items, 0, false, raw, !raw);
            int n = host.size();
            try (NoGrad ignored = NoGrad.start(); NDManager batch = manager.newSubManager()) {
                NDArray x = batch.create(raw ? host.raw() : host.roi(),
                        new Shape(n, settings.channels(), settings.inputSize(), settings.inputSize()));
                NDArray logits = net.forward(store, new NDList(x), false).get(0);
                classes = (int) logits.getShape().get(1);
                float[] nll = Losses.perSampleNll(logits, batch.create(host.labels())).toFloatArray();
                float[] probabilities = logits.softmax(1).toFloatArray();
                int[] predicted = Losses.argmax(logits);
                for (int i = 0; i < n; i++) {
                    float w = classWeights == null ? 1f : classWeights[host.labels()[i]];
                    lossSum += w * Losses.focalOfNll(nll[i], settings.lossGamma());
                    weightSum += w;
                    correct += predicted[i] == host.labels()[i] ? 1 : 0;
                    double[] p = new double[classes];
                    for (int c = 0; c < classes; c++) {
                        p[c] = probabilities[i * classes + c];
                        finite &= p[c] >= 0 && p[c] <= 1;
                    }
                    if (finite) {
                        String id = "val" + predictions.size();
                        predictions.add(new Prediction(id, id, host.labels()[i], p, Map.of()));
                    }
                }
            }
        }
        double balancedAccuracy = Double.NaN;
        double macroF1 = Double.NaN;
        if (finite) {
            List<String> names = IntStream.range(0, classes).mapToObj(c -> "class" + c).toList();
            MetricSet metrics = Metrics.of(predictions, names);
            balancedAccuracy = metrics.balancedAccuracy();
            macroF1 = metrics.macroF1();
        }
        return new Evaluation(lossSum / weightSum, (double) correct / stage.val().size(), balancedAccuracy, macroF1);
    }

    private record Evaluation(double loss, double accuracy, double balancedAccuracy, double macroF1) {
    }

    private static final class Totals {
        double loss;
        double ce;
        int batches;
        /** Per named term of the stage's loss: its sum over the batches that had it, and their number. */
        final Map<String, double[]> terms = new LinkedHashMap<>();
        long correct;
        long seen;

        void addTerm(String name, float value) {
            double[] sumAndCount = terms.computeIfAbsent(name, k -> new double[2]);
            sumAndCount[0] += value;
            sumAndCount[1]++;
        }

        /** The term's mean over the batches that had it; NaN when none had it. */
        double mean(String name) {
            double[] sumAndCount = terms.get(name);
            return sumAndCount == null ? Double.NaN : sumAndCount[0] / sumAndCount[1];
        }

        void add(float loss, float ce, NDArray logits, int[] labels) {
            this.loss += loss;
            this.ce += ce;
            batches++;
            int[] predicted = Losses.argmax(logits);
            for (int i = 0; i < labels.length; i++) {
                correct += predicted[i] == labels[i] ? 1 : 0;
            }
            seen += labels.length;
        }
    }

    static <T> List<List<T>> partition(List<T> items, int size) {
        List<List<T>> parts = new ArrayList<>();
        for (int i = 0; i < items.size(); i += size) {
            parts.add(items.subList(i, Math.min(items.size(), i + size)));
        }
        return parts;
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading a batch", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("loading a batch failed", e.getCause());
        }
    }
}
