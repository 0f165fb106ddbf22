package io.pneuknow.cli;

import io.pneuknow.train.TrainConfig;
import picocli.CommandLine.Option;

/** One flag per training setting; a flag that is not given keeps the value from the config file or the default. */
final class TrainOptions {
    @Option(names = "--method", description = "baseline, hkd, energy (CE plus the CAM's energy outside the expert's regions) or hkd-energy (HKD whose student adds that term) (default: baseline).")
    String method;
    @Option(names = "--teacher-input", description = "HKD teacher input: roi (the method), raw (control: raw-image teacher) or shuffled-roi (control: this image inside another image's region).")
    String teacherInput;
    @FormerName(value = "--arch", since = "0.2.0")
    @Option(names = "--architecture", description = "Architecture (see the list in README; default resnet18), or torchscript: the backbone is the TorchScript file given with --pretrained.")
    String architecture;
    @FormerName(value = "--size", since = "0.2.0")
    @Option(names = "--input-size", description = "Input size in pixels, a multiple of 32 (default 224).")
    Integer inputSize;
    @Option(names = "--channels", description = "Input channels, 1 or 3 (default 1).")
    Integer channels;
    @Option(names = "--dropout", description = "Dropout before the linear head (default 0.5).")
    Float dropout;
    @Option(names = "--epochs", description = "Epochs of the baseline or the student (default 60).")
    Integer epochs;
    @Option(names = "--student-epochs", description = "Epochs of the HKD student when not the same as --epochs.")
    Integer studentEpochs;
    @Option(names = "--teacher-epochs", description = "Epochs of the HKD teacher (default 20).")
    Integer teacherEpochs;
    @Option(names = "--alpha", description = "alpha0, the initial weight of the feature term (default 0.5).")
    Float alpha0;
    @Option(names = "--kd-epochs", description = "E_kd, epochs over which alpha decays to 0 (default 40).")
    Integer kdEpochs;
    @Option(names = "--feature-norm", description = "How HKD's feature term compares the teacher's and the student's feature maps: raw (MSE over every element, the reference), channel (MSE after standardising each channel over its positions) or attention (attention transfer, Zagoruyko and Komodakis 2017) (default raw).")
    String featureNorm;
    @Option(names = "--feature-level", description = "Which feature map HKD's feature term compares: last (the backbone's output, the reference) or previous (the level before it, twice as fine: 8x8 instead of 4x4 at 128 px for a stride-32 backbone) (default last).")
    String featureLevel;
    @FormerName(value = "--lr", since = "0.2.0")
    @Option(names = "--learning-rate", description = "Adam learning rate (default 1e-4).")
    Float learningRate;
    @Option(names = "--per-batch-schedule", arity = "0..1", description = "Step the cosine schedule per batch, as the reference did.")
    Boolean perBatchSchedule;
    @FormerName(value = "--batch", since = "0.2.0")
    @Option(names = "--batch-size", description = "Batch size (default 8).")
    Integer batchSize;
    @Option(names = "--class-weights", arity = "0..1", description = "Weight cross-entropy by inverse class frequency.")
    Boolean classWeights;
    @Option(names = "--augment", description = "none, weak or strong (default strong).")
    String augment;
    @Option(names = "--roi-shape", description = "mask (a region's mask where it has one) or box (default mask).")
    String roiShape;
    @Option(names = "--roi-margin", description = "Pixels added around each region (default 0).")
    Integer roiMargin;
    @Option(names = "--no-finding-class", description = "Class whose images get an empty ROI (default healthy; '' for none).")
    String noFindingClass;
    @Option(names = "--unannotated", description = "Pathological images without regions: exclude (from the teacher and the feature term) or whole-image.")
    String unannotated;
    @Option(names = "--seed", description = "Random seed (default 42).")
    Long seed;
    @Option(names = "--threads", description = "Engine threads, 0 for all cores (default 0).")
    Integer threads;
    @Option(names = "--loader-threads", description = "Threads preparing batches (default 1).")
    Integer loaderThreads;
    @Option(names = "--energy-weight", description = "Weight (lambda) of the energy term of --method energy and hkd-energy: the share of the class activation map's positive energy outside the expert's regions (Rao et al. 2023), 0 or more (default 1).")
    Float energyWeight;
    @Option(names = "--teacher-fraction", description = "The reference's annotation-fraction control: the HKD teacher trains on this share of the training images (a seeded, class-stratified draw) for its epochs / share; the student still distils on every image (default 1).")
    Double teacherFraction;
    @FormerName(value = "--annotation-fraction", since = "0.2.0")
    @Option(names = "--regions-kept-fraction", description = "Share of annotated training images whose regions are kept; the others are region-less for the teacher and the student (default 1). Not the reference's annotation-fraction control, which is --teacher-fraction.")
    Double regionsKeptFraction;
    @Option(names = "--sampling", description = "How each epoch draws its training images: shuffle (each once, default) or class-balanced (as many draws as images, with replacement, every class equally likely; with --class-weights as well the minority classes count twice over).")
    String sampling;
    @Option(names = "--loss", description = "Classification loss of every stage (the student's classification term too): cross-entropy (default) or focal; --class-weights applies to either.")
    String loss;
    @Option(names = "--focal-gamma", description = "Gamma of the focal loss, 0 or more; 0 is cross-entropy (default 2).")
    Double focalGamma;
    @Option(names = "--select-by", description = "Validation metric that picks the kept epoch of each stage and drives --patience: loss (lowest, default), balanced-accuracy or macro-f1 (highest; ties go to the lower validation loss).")
    String selectBy;
    @Option(names = "--patience", description = "Stop a stage after this many epochs without a better kept epoch; 0 for never (default). The HKD student gets this many epochs after its feature term has ended.")
    Integer patience;
    @Option(names = "--pretrained", paramLabel = "FILE", description = "Start every stage's network from these weights: a backbone folder written by 'pneuknow pretrain' (or its backbone.json), or a .safetensors file with torchvision or timm names, or with --architecture torchscript a TorchScript backbone file (see README). The classifier is always new; model.json records the file's name and SHA-256.")
    String pretrained;
    @Option(names = "--freeze-backbone-epochs", description = "For this many first epochs of every stage train the head only: backbone weights and BatchNorm statistics stay as loaded (default 0).")
    Integer freezeBackboneEpochs;
    @FormerName(value = "--backbone-lr", since = "0.2.0")
    @Option(names = "--backbone-learning-rate", description = "Learning rate of the backbone, on the same schedule as --learning-rate (the head's); default the same as --learning-rate.")
    Double backboneLearningRate;
    @Option(names = "--allow-no-validation", arity = "0..1", description = "Train even when the split leaves no validation images: every stage then keeps its last epoch (without it such a run is refused).")
    Boolean allowNoValidation;

    /** The settings of {@code c} with each flag that is given set on top. */
    TrainConfig apply(TrainConfig c) {
        TrainConfig.Builder b = c.toBuilder();
        set(method, b::method);
        set(teacherInput, b::teacherInput);
        set(architecture, b::architecture);
        set(inputSize, b::inputSize);
        set(channels, b::channels);
        set(dropout, b::dropout);
        set(epochs, b::epochs);
        set(studentEpochs, b::studentEpochs);
        set(teacherEpochs, b::teacherEpochs);
        set(alpha0, b::alpha0);
        set(kdEpochs, b::kdEpochs);
        set(learningRate, b::learningRate);
        set(perBatchSchedule, b::perBatchSchedule);
        set(batchSize, b::batchSize);
        set(classWeights, b::classWeights);
        set(augment, b::augment);
        set(roiShape, b::roiShape);
        set(roiMargin, b::roiMargin);
        set(noFindingClass, b::noFindingClass);
        set(unannotated, b::unannotated);
        set(seed, b::seed);
        set(threads, b::threads);
        set(loaderThreads, b::loaderThreads);
        set(teacherFraction, b::teacherFraction);
        set(regionsKeptFraction, b::regionsKeptFraction);
        set(energyWeight, b::energyWeight);
        set(featureNorm, b::featureNorm);
        set(featureLevel, b::featureLevel);
        set(sampling, b::sampling);
        set(loss, b::loss);
        set(focalGamma, b::focalGamma);
        set(selectBy, b::selectBy);
        set(patience, b::patience);
        set(pretrained, b::pretrained);
        set(freezeBackboneEpochs, b::freezeBackboneEpochs);
        set(backboneLearningRate, b::backboneLearningRate);
        set(allowNoValidation, b::allowNoValidation);
        return b.build();
    }

    private static <T> void set(T value, java.util.function.Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }
}
