package io.pneuknow.train;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.util.List;

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

    /** How the loss of a batch of the named stage is made of its terms. */
    StageLoss loss(String stage);

    /**
     * The settings a study method name stands for when it names this method (e.g. {@code hkd} or
     * {@code hkd-raw-teacher}), or null when the name is not one of this method's.
     */
    StudyForm studyForm(String base);

    /** The study method names this method accepts, for messages (e.g. {@code hkd-fraction-F with F in (0, 1]}). */
    List<String> studyNames();

    /** What a study method name stands for: the method, the teacher's input and the share of annotations kept. */
    record StudyForm(TrainingMethod method, String teacherInput, double annotationFraction, boolean fractionForm) {
    }

    /**
     * The loss of a training batch from its terms: the classification term (cross-entropy or
     * focal), and in a stage with a teacher the feature term and alpha(e). Called only when the
     * feature term is present; without it the loss is the classification term.
     */
    @FunctionalInterface
    interface StageLoss {
        NDArray combine(NDArray classification, NDArray feature, float alpha);

        /** The classification term alone. */
        StageLoss CLASSIFICATION = (classification, feature, alpha) -> classification;

        /** Schaudt et al. (2023): {@code alpha * MSE(F_teacher, F_student) + (1 - alpha) * CE}. */
        StageLoss DISTILLATION = (classification, feature, alpha) -> feature.mul(alpha).add(classification.mul(1 - alpha));
    }
}
