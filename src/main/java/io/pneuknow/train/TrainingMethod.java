package io.pneuknow.train;

import ai.djl.ndarray.NDArray;
import io.pneuknow.model.ClassifierNet;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A way of training a classifier, with or without the expert's regions: its name (as written in
 * configuration and study files and on the command line), the stages it trains in order and the
 * loss of each stage. Every method is registered in {@link TrainingMethods}, the one place that
 * looks methods up by name; elsewhere code asks the method (e.g. {@link #distills()}) instead of
 * comparing names.
 */
public interface TrainingMethod {
    /** The name in files and on the command line, e.g. {@code hkd}. */
    String name();

    /**
     * Whether the method first trains a teacher (saved in {@code out/teacher}) whose features the
     * final stage's network matches: the teacher input ({@code method.teacherInput}) and the
     * annotation fraction apply to such a method only.
     */
    boolean distills();

    /** The stages, in training order, by name (each has {@code checkpoints/NAME} and {@code history-NAME.csv}). */
    List<String> stages();

    /** The stage whose network is the run's model. */
    default String finalStage() {
        return stages().get(stages().size() - 1);
    }

    /** The history CSV of the final stage, relative to the run's directory. */
    default String historyFile() {
        return "history-" + finalStage() + ".csv";
    }

    /**
     * Trains the method's stages in order with what the run prepared, saves the model (and any
     * teacher) in the run's directory and scores it on the test part.
     */
    TrainRun.Outcome train(TrainRun.Stages run) throws IOException;

    /** How the loss of a batch of the named stage is made of its terms, with the run's settings (e.g. a term's weight). */
    StageLoss loss(String stage, TrainConfig config);

    /**
     * The settings a study method name stands for when it names this method (e.g. {@code hkd} or
     * {@code hkd-raw-teacher}), or null when the name is not one of this method's.
     */
    StudyForm studyForm(String base);

    /** The study method names this method accepts, for messages (e.g. {@code hkd-fraction-F with F in (0, 1]}). */
    List<String> studyNames();

    /**
     * What a study method name stands for.
     *
     * @param method the training method
     * @param teacherInput the teacher's input ({@code method.teacherInput})
     * @param teacherFraction the share of the training images the teacher trains on ({@code method.teacherFraction},
     *     the reference's annotation-fraction control, {@code hkd-fraction-F})
     * @param regionsKeptFraction the share of annotated images whose regions are kept
     *     ({@code method.regionsKeptFraction}, {@code hkd-regions-kept-F})
     * @param fractionForm whether the name is a point of the annotation-fraction curve ({@code hkd-fraction-F})
     */
    record StudyForm(TrainingMethod method, String teacherInput, double teacherFraction, double regionsKeptFraction,
                     boolean fractionForm) {
        /** The plain form of a method: its teacher input, every image and every region. */
        public static StudyForm plain(TrainingMethod method, String teacherInput) {
            return new StudyForm(method, teacherInput, 1, 1, false);
        }
    }

    /**
     * How the loss of a training batch of one stage is made: from what the step computed
     * ({@link Step}: the classification term, the logits, the student's feature map, and what the
     * stage asked for) the batch loss and its named terms, which the stage's history records (the
     * term {@link #FEATURE_TERM} as {@code train_feature_mse}, {@link #ENERGY_TERM} as
     * {@code train_energy}). A method with a term of its own computes it here; the stage trainer does
     * not know it by name.
     */
    @FunctionalInterface
    interface StageLoss {
        /** The name of the distillation feature term (MSE between teacher and student features). */
        String FEATURE_TERM = "feature_mse";
        /** The name of the energy term (the CAM's energy outside the expert's regions). */
        String ENERGY_TERM = "energy";

        /** The batch loss and its named terms, from what the step computed. */
        BatchLoss of(Step step);

        /**
         * Whether the stage's batches need the expert regions' shares of the feature grid
         * ({@link Step#regionShares}); the loader computes them only then.
         */
        default boolean needsRegionShares() {
            return false;
        }

        /** The classification term alone. */
        StageLoss CLASSIFICATION = step -> new BatchLoss(step.classification(), Map.of());

        /**
         * Schaudt et al. (2023): {@code alpha * MSE(F_teacher, F_student) + (1 - alpha) * CE}, the
         * feature term averaged over the samples with an ROI ({@link Losses#featureMse}); the
         * classification term alone in a step without teacher features (alpha 0).
         */
        StageLoss DISTILLATION = step -> {
            if (step.teacherFeatures() == null) {
                return new BatchLoss(step.classification(), Map.of());
            }
            NDArray feature = Losses.featureMse(step.distilledFeatures(), step.teacherFeatures(), step.roiWeights());
            NDArray loss = feature.mul(step.alpha()).add(step.classification().mul(1 - step.alpha()));
            return new BatchLoss(loss, Map.of(FEATURE_TERM, feature));
        };

        /**
         * The distillation loss with the feature maps compared as {@code featureNorm} says: raw
         * ({@link #DISTILLATION}, the reference), channel (MSE of {@link Losses#channelStandardised}
         * maps) or attention ({@link Losses#attentionTransfer}); recorded under {@link #FEATURE_TERM}.
         */
        static StageLoss distillation(String featureNorm) {
            return switch (featureNorm) {
                case TrainConfig.FEATURES_RAW -> DISTILLATION;
                case TrainConfig.FEATURES_CHANNEL -> step -> distilled(step, step.teacherFeatures() == null ? null
                        : Losses.featureMse(Losses.channelStandardised(step.distilledFeatures()),
                                Losses.channelStandardised(step.teacherFeatures()), step.roiWeights()));
                case TrainConfig.FEATURES_ATTENTION -> step -> distilled(step, step.teacherFeatures() == null ? null
                        : Losses.attentionTransfer(step.distilledFeatures(), step.teacherFeatures(), step.roiWeights()));
                default -> throw new IllegalArgumentException("feature comparison " + featureNorm);
            };
        }

        /** {@code alpha * feature + (1 - alpha) * CE}, or CE alone without a feature term. */
        private static BatchLoss distilled(Step step, NDArray feature) {
            if (feature == null) {
                return new BatchLoss(step.classification(), Map.of());
            }
            NDArray loss = feature.mul(step.alpha()).add(step.classification().mul(1 - step.alpha()));
            return new BatchLoss(loss, Map.of(FEATURE_TERM, feature));
        }

        /**
         * This loss plus {@code weight * energy}, the energy term of Rao et al. (2023) on the CAM of
         * each image's true class ({@link Losses#energy}), over the images with a region; a batch
         * without such an image gets this loss unchanged (no energy term, nothing recorded).
         */
        default StageLoss plusEnergy(float weight) {
            StageLoss base = this;
            return new StageLoss() {
                @Override
                public BatchLoss of(Step step) {
                    BatchLoss loss = base.of(step);
                    if (step.imagesWithRegion() == 0) {
                        return loss;
                    }
                    if (step.net() == null) {
                        throw new IllegalStateException("the energy term needs a ClassifierNet (its head gives the CAM)");
                    }
                    NDArray cam = step.net().classActivationMaps(step.features(), step.labels());
                    if (!cam.getShape().equals(step.regionShares().getShape())) {
                        throw new IllegalStateException("the feature map's grid " + cam.getShape() + " is not the"
                                + " regions' grid " + step.regionShares().getShape() + " (input size / 32): the energy"
                                + " term needs a backbone of stride 32");
                    }
                    NDArray energy = Losses.energy(cam, step.regionShares(), step.regionWeights());
                    Map<String, NDArray> terms = new LinkedHashMap<>(loss.terms());
                    terms.put(ENERGY_TERM, energy);
                    return new BatchLoss(loss.total().add(energy.mul(weight)), terms);
                }

                @Override
                public boolean needsRegionShares() {
                    return true;
                }
            };
        }

        /**
         * What one training step computed, for its {@link StageLoss}.
         *
         * @param classification the classification term (cross-entropy or focal), a scalar
         * @param logits the student's logits (N, classes)
         * @param features the student's last feature map (N, C, h, w) from the same forward pass
         * @param distilledFeatures the student's map the feature term compares with the teacher's: the
         *     last map, or the previous level's ({@code method.featureLevel} previous)
         * @param net the trained network (its head gives the CAM); null when it is not a {@link ClassifierNet}
         * @param labels each sample's true class (N)
         * @param regionShares the share of each feature-grid cell covered by the sample's expert region
         *     (N, h, w), in [0, 1]; null unless the loss {@link #needsRegionShares()}
         * @param regionWeights 1 for a sample with an expert region in view, else 0 (N); null as regionShares
         * @param imagesWithRegion the number of samples whose region weight is 1 (0 without region shares)
         * @param teacherFeatures the frozen teacher's feature map; null without a teacher or when alpha is 0
         * @param roiWeights 1 for a sample with an ROI in the teacher's view, else 0 (N); null as teacherFeatures
         * @param alpha the distillation weight alpha(e) of the epoch (0 without a teacher)
         */
        record Step(NDArray classification, NDArray logits, NDArray features, NDArray distilledFeatures,
                    ClassifierNet net, NDArray labels,
                    NDArray regionShares, NDArray regionWeights, int imagesWithRegion, NDArray teacherFeatures,
                    NDArray roiWeights, float alpha) {
        }

        /**
         * The loss of a batch (the scalar the step differentiates) and its named terms (scalars), in
         * the order they are logged.
         */
        record BatchLoss(NDArray total, Map<String, NDArray> terms) {
        }
    }
}
