package io.pneuknow.api;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Fingerprint;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.evaluate.ClassOperatingPoints;
import io.pneuknow.evaluate.Evaluation;
import io.pneuknow.evaluate.Localisation;
import io.pneuknow.evaluate.LocalisationScores;
import io.pneuknow.evaluate.LocalisationSummary;
import io.pneuknow.evaluate.MetricIntervals;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.PatientAggregation;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.evaluate.PriorShift;
import io.pneuknow.evaluate.Subgroups;
import io.pneuknow.evaluate.TemperatureScaling;
import io.pneuknow.explain.HeatMaps;
import io.pneuknow.explain.ImageAgreement;
import io.pneuknow.explain.Overlays;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.Versions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Scores a saved model on one part of a split into a typed {@link Evaluation}: metrics with
 * patient-level 95% intervals, temperature scaling fitted on the validation part (or the reason it
 * was refused), the prior shift of a uniform-prior model, operating points chosen on validation,
 * per-patient figures, subgroups, and Grad-CAM of the true class against the expert's regions
 * (heat-map overlays written where asked). Options are set on a {@link Builder}; an evaluator holds
 * no state between calls. It leaves the engine's thread count (process-wide) as it is unless
 * {@link Builder#threads} names one. Grad-CAM needs the JVM's one gradient tape: the localisation waits
 * while a training in this JVM holds the engine lease ({@link EngineThreads#gradientTape}).
 *
 * <pre>{@code
 * Evaluation e = Evaluator.builder().part(Split.TEST).replicates(1000).calibrate(true).build()
 *         .evaluate(modelDir, dataset, split);
 * double accuracy = e.metrics().get("accuracy").estimate();
 * }</pre>
 */
public final class Evaluator {
    /** The label columns subgroups are formed by when none are named, where present. */
    public static final List<String> DEFAULT_SUBGROUPS = List.of("source", "view", "sex", "age");

    private final String part;
    private final int replicates;
    private final long seed;
    private final boolean calibrate;
    private final boolean trainingPrior;
    private final double specificity;
    private final List<String> subgroups;
    private final Path overlayDir;
    private final int maxHeatMaps;
    private final int heatStage;
    private final Integer threads;
    private final Consumer<String> notes;

    private Evaluator(Builder b) {
        this.part = b.part;
        this.replicates = b.replicates;
        this.seed = b.seed;
        this.calibrate = b.calibrate;
        this.trainingPrior = b.trainingPrior;
        this.specificity = b.specificity;
        this.subgroups = b.subgroups;
        this.overlayDir = b.overlayDir;
        this.maxHeatMaps = b.maxHeatMaps;
        this.heatStage = b.heatStage;
        this.threads = b.threads;
        this.notes = b.notes;
    }

    /**
     * A builder with the defaults: test part, 1000 replicates, seed 1, no calibration, no prior shift,
     * specificity 0.9, the default subgroups, no overlays, the last feature map, the engine's threads as they are.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Options of an evaluation. Each setter returns the builder; {@link #build()} checks the values
     * and throws {@link BadInputException} naming the first bad one.
     */
    public static final class Builder {
        private String part = Split.TEST;
        private int replicates = 1000;
        private long seed = 1;
        private boolean calibrate;
        private boolean trainingPrior;
        private double specificity = 0.9;
        private List<String> subgroups;
        private Path overlayDir;
        private int maxHeatMaps;
        private int heatStage;
        private Integer threads;
        private Consumer<String> notes = System.err::println;

        private Builder() {
        }

        /** The part to score: train, val or test (any spelling {@link Split#partName} knows); default test. */
        public Builder part(String part) {
            String named = Split.partName(part);
            if (named == null || !List.of(Split.TRAIN, Split.VAL, Split.TEST).contains(named)) {
                throw new BadInputException("part '" + part + "' names no part of a split; use train, val or test");
            }
            this.part = named;
            return this;
        }

        /** Bootstrap replicates of every interval (default 1000; 0 gives estimates without intervals). */
        public Builder replicates(int replicates) {
            this.replicates = replicates;
            return this;
        }

        /** Bootstrap seed (default 1). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Whether to fit temperature scaling on the validation part and apply it (default false). */
        public Builder calibrate(boolean calibrate) {
            this.calibrate = calibrate;
            return this;
        }

        /**
         * Whether to move the probabilities of a model that learned a uniform class prior (class-balanced
         * sampling or class weights, not both) to the training part's class frequencies before scoring
         * (default false); refused for any other model.
         */
        public Builder trainingPrior(boolean trainingPrior) {
            this.trainingPrior = trainingPrior;
            return this;
        }

        /** The specificity each class's first operating point must reach on validation (default 0.9). */
        public Builder specificity(double specificity) {
            this.specificity = specificity;
            return this;
        }

        /**
         * Label columns to break the metrics down by; each must exist. Null (the default) takes
         * {@link #DEFAULT_SUBGROUPS} where present.
         */
        public Builder subgroups(List<String> subgroups) {
            this.subgroups = subgroups == null ? null : List.copyOf(subgroups);
            return this;
        }

        /**
         * Write heat-map overlays of at most {@code max} annotated images to {@code dir}/heatmaps/
         * (default: none); {@link Localisation#overlays()} names them relative to {@code dir}.
         */
        public Builder overlays(Path dir, int max) {
            this.overlayDir = dir;
            this.maxHeatMaps = max;
            return this;
        }

        /** The Grad-CAM block: 0 for the last feature map (default), N for the output of backbone child N. */
        public Builder heatStage(int heatStage) {
            this.heatStage = heatStage;
            return this;
        }

        /**
         * Engine threads to set before scoring, 0 for all cores; process-wide ({@link EngineThreads}), so
         * it changes the thread count of anything else running in this JVM. Default: left as it is.
         */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /**
         * Where one-line notes go (default standard error), e.g. that an older model.json records no
         * training and validation images, so the check that none is scored could not be made.
         */
        public Builder notes(Consumer<String> notes) {
            this.notes = notes == null ? line -> { } : notes;
            return this;
        }

        /** The evaluator, after checking the options. */
        public Evaluator build() {
            if (replicates < 0) {
                throw new BadInputException("replicates " + replicates + " must be 0 or more");
            }
            if (!(specificity > 0 && specificity <= 1)) {
                throw new BadInputException("specificity " + specificity + " must be in (0, 1]");
            }
            if (maxHeatMaps < 0) {
                throw new BadInputException("--max-heat-maps " + maxHeatMaps + " must be 0 or more");
            }
            if (maxHeatMaps > 0 && overlayDir == null) {
                throw new BadInputException("overlays: " + maxHeatMaps + " heat maps need a folder to be written to;"
                        + " give one, or 0 heat maps");
            }
            if (threads != null && threads < 0) {
                throw new BadInputException("threads " + threads + " must be 0 (all cores) or more");
            }
            return new Evaluator(this);
        }
    }

    /**
     * Scores the model in {@code modelDir} on this evaluator's part of {@code split}. A split without
     * train/val/test parts (folds only) is read as fold 0 held out. The data set's classes must be
     * the model's, in its order.
     *
     * <p>Refuses to score an image the model was trained or selected on: model.json records its training
     * and validation images by content ({@link ModelCard.DataParts}), so a copy under another name is
     * refused too. A model.json from before they were recorded is evaluated as it is, with a note.
     *
     * @throws BadInputException for a part without images, other classes, a heat stage the backbone
     *                           lacks, a subgroup column the labels lack, a prior shift that does not apply,
     *                           or an image to score that the model was trained or selected on
     */
    public Evaluation evaluate(Path modelDir, Dataset dataset, Split split) {
        if (threads != null) {
            EngineThreads.set(threads);
        }
        ModelCard card = ModelBundle.readCard(modelDir);
        List<String> labels = card.labels();
        if (!labels.equals(dataset.classes())) {
            throw new BadInputException("the data set's classes " + dataset.classes() + " differ from the model's "
                    + labels + "; pass --classes to put them in the model's order");
        }
        Split parts = split.parts().contains(Split.TRAIN) ? split : split.forFold(0);
        List<Sample> scored = parts.samples(dataset, part);
        if (scored.isEmpty()) {
            throw new BadInputException("split part '" + part + "' has no images; choose one of " + parts.parts());
        }
        refuseImagesLearnedFrom(modelDir, card, scored);
        List<String> subgroupColumns = subgroupColumns(dataset);
        try (ModelBundle.Loaded loaded = ModelBundle.load(modelDir)) {
            HeatMaps heat = new HeatMaps(loaded);
            int stages = heat.backboneStages();
            if (heatStage < 0 || heatStage > stages) {
                throw new BadInputException("--heat-stage " + heatStage + " must be 0 (the last feature map) or 1.."
                        + stages + " (children of the " + card.architecture() + " backbone)");
            }
            Predictor predictor = new Predictor(loaded);
            List<Sample> valSamples = parts.samples(dataset, Split.VAL);
            Scored val = Scored.of(predictor, valSamples);
            TemperatureScaling.Calibration calibration = calibrate
                    ? TemperatureScaling.calibrate(val.logits(), val.labels()) : null;
            double temperature = calibration == null ? 1 : calibration.temperature();
            Scored test = Scored.of(predictor, scored);
            int[] trainingCounts = trainingPrior ? trainingCounts(modelDir, card, parts, dataset) : null;
            List<Prediction> predictions = shifted(predictions(scored,
                    TemperatureScaling.apply(test.logits(), temperature)), trainingCounts);
            List<Prediction> validation = shifted(predictions(valSamples,
                    TemperatureScaling.apply(val.logits(), temperature)), trainingCounts);
            Map<String, Double> prior = null;
            if (trainingCounts != null) {
                double[] target = PriorShift.frequencies(trainingCounts);
                prior = new LinkedHashMap<>();
                for (int c = 0; c < labels.size(); c++) {
                    prior.put(labels.get(c), target[c]);
                }
            }
            MetricIntervals metrics = MetricIntervals.of(predictions, labels, replicates, seed);
            MetricSet perPatient = Metrics.of(PatientAggregation.meanProbabilities(predictions), labels);
            Map<String, Map<String, MetricSet>> bySubgroup = new LinkedHashMap<>();
            for (String column : subgroupColumns) {
                bySubgroup.put(column, column.equals("age")
                        ? Subgroups.by(predictions, column, labels, Subgroups::ageBand)
                        : Subgroups.by(predictions, column, labels));
            }
            Map<String, ClassOperatingPoints> operatingPoints = ClassOperatingPoints.choose(validation, predictions,
                    labels, specificity, replicates, seed);
            Localisation localisation = localise(heat, labels, scored, predictions);
            Evaluation.Provenance provenance = new Evaluation.Provenance(card.id(), card.weightsSha256(),
                    Fingerprint.of(dataset), part, seed, replicates, Versions.all(), Instant.now().toString());
            return new Evaluation(new Evaluation.ModelReference(card.id(), card.method(), card.architecture(),
                    modelDir.toAbsolutePath().toString()), part, predictions.size(),
                    predictions.stream().map(Prediction::patientId).distinct().count(), temperature, calibration, prior,
                    new Evaluation.BootstrapSettings(replicates, seed, "patient"), metrics, perPatient, operatingPoints,
                    bySubgroup, localisation, card, predictions, provenance);
        }
    }

    /**
     * Refuses, naming the first one, images to score whose content is that of an image the model was
     * trained or selected on (its model.json's {@link ModelCard.DataParts}); without recorded parts, a note.
     */
    private void refuseImagesLearnedFrom(Path modelDir, ModelCard card, List<Sample> scored) {
        ModelCard.DataParts parts = card.parts();
        if (parts == null) {
            notes.accept(modelDir.resolve(ModelBundle.CARD) + " records no training or validation images (written"
                    + " before they were recorded): could not check that the images scored are not ones the model was"
                    + " trained or selected on");
            return;
        }
        String[] partOf = scored.parallelStream().map(s -> parts.partOf(ModelCard.DataParts.contentHash(s.file())))
                .toArray(String[]::new);
        long learnedFrom = java.util.Arrays.stream(partOf).filter(java.util.Objects::nonNull).count();
        for (int i = 0; i < partOf.length; i++) {
            if (partOf[i] != null) {
                throw new BadInputException(scored.get(i).file() + ": the model in " + modelDir + " was "
                        + (partOf[i].equals(ModelCard.DataParts.TRAINING) ? "trained" : "selected") + " on this image"
                        + " (its content is that of an image of the model's " + partOf[i] + " part; " + learnedFrom
                        + " of the " + scored.size() + " images to score are); evaluate on the model's test part"
                        + " (--part test) or on other data");
            }
        }
    }

    /** The predictions moved from the uniform prior to the training counts' frequencies, or as they are without counts. */
    private static List<Prediction> shifted(List<Prediction> predictions, int[] trainingCounts) {
        return trainingCounts == null ? predictions : PriorShift.fromUniformToCounts(predictions, trainingCounts);
    }

    /**
     * Images per class in the training part, for a model whose training settings (sampling, class
     * weights) made it learn a uniform prior; refuses any other model, whose probabilities already
     * carry the training frequencies.
     */
    private static int[] trainingCounts(Path modelDir, ModelCard card, Split split, Dataset dataset) {
        TrainConfig train;
        try {
            train = card.configuration() == null || card.configuration().get("train") == null ? null
                    : Json.MAPPER.treeToValue(card.configuration().get("train"), TrainConfig.class);
        } catch (IOException e) {
            train = null;
        }
        if (train == null) {
            throw new BadInputException(modelDir + "/model.json records no training settings, so the prior the model"
                    + " learned is unknown; drop --training-prior");
        }
        if (!train.learnsUniformPrior()) {
            throw new BadInputException(modelDir + " was trained with sampling '" + train.sampling() + "' and "
                    + (train.classWeights() ? "" : "no ") + "class weights, so it did not learn a uniform class prior;"
                    + " --training-prior applies to class-balanced sampling or class weights (one of them); drop it");
        }
        int[] counts = new int[card.labels().size()];
        for (Sample s : split.samples(dataset, Split.TRAIN)) {
            counts[s.classIndex()]++;
        }
        return counts;
    }

    private List<String> subgroupColumns(Dataset dataset) {
        List<String> wanted = subgroups != null ? subgroups : DEFAULT_SUBGROUPS;
        List<String> present = new ArrayList<>();
        for (String c : wanted) {
            boolean has = dataset.samples().stream().anyMatch(s -> s.attributes().containsKey(c));
            if (has) {
                present.add(c);
            } else if (subgroups != null) {
                throw new BadInputException("--subgroups " + c + ": no such column in the labels file");
            }
        }
        return present;
    }

    /** Logits and labels of samples, in order. */
    private record Scored(double[][] logits, int[] labels) {
        static Scored of(Predictor predictor, List<Sample> samples) {
            double[][] logits = predictor.logitsOfFiles(samples.stream().map(Sample::file).toList());
            return new Scored(logits, samples.stream().mapToInt(Sample::classIndex).toArray());
        }
    }

    /** Predictions of the samples from their probabilities, in the same order. */
    private static List<Prediction> predictions(List<Sample> samples, double[][] probabilities) {
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            out.add(new Prediction(s.imageId(), s.patientId(), s.classIndex(), probabilities[i], s.attributes()));
        }
        return out;
    }

    /** Grad-CAM of the true class against the expert's regions over the annotated samples, overlays where asked. */
    private Localisation localise(HeatMaps heat, List<String> labels, List<Sample> samples,
                                  List<Prediction> predictions) {
        int stages = heat.backboneStages();
        int stage = heatStage == 0 ? stages : heatStage;
        String heatMap = stage == stages ? "grad-cam of the true class at the last feature map"
                : "grad-cam of the true class after backbone child " + stage + " of " + stages;
        Map<String, LocalisationScores> scores = new LinkedHashMap<>();
        List<Prediction> annotated = new ArrayList<>();
        List<String> overlays = new ArrayList<>();
        List<String> undefined = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (!s.annotated()) {
                continue;
            }
            GreyImage image = ImageFiles.read(s.file());
            GreyImage mask = ImageAgreement.regionMask(s, image);
            GreyImage map;
            // Grad-CAM needs the JVM's one gradient tape: it waits while a training (or another heat map) uses it
            try (EngineThreads.Lease tape = EngineThreads.gradientTape()) {
                map = heat.gradCam(image, s.classIndex(), stage);
            }
            ImageAgreement agreement = ImageAgreement.of(s, map, mask);
            if (!agreement.defined()) {
                undefined.add(s.imageId() + ": " + agreement.undefined());
                continue;
            }
            scores.put(s.imageId(), agreement.scores());
            annotated.add(predictions.get(i));
            if (overlays.size() < maxHeatMaps) {
                String name = "heatmaps/" + s.imageId().replaceAll("[^A-Za-z0-9_.-]", "_") + ".png";
                try {
                    Overlays.write(overlayDir.resolve(name), image, map, mask);
                } catch (IOException e) {
                    throw new UncheckedIOException(overlayDir.resolve(name) + ": cannot write the overlay", e);
                }
                overlays.add(name);
            }
        }
        return Localisation.of(annotated.size(), heatMap, heatStage,
                LocalisationSummary.of(annotated, scores, labels, replicates, seed), overlays, undefined);
    }
}
