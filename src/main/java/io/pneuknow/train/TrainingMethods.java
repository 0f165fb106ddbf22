package io.pneuknow.train;

import io.pneuknow.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The registry of training methods: the one place that looks a method up by its name. Adding a
 * method is one class implementing {@link TrainingMethod} and one line in {@link #ALL}.
 */
public final class TrainingMethods {
    /** The baseline, also the reference every other method is compared against in a study. */
    public static final TrainingMethod BASELINE = new BaselineMethod();
    /** Human Knowledge Distillation. */
    public static final TrainingMethod HKD = new HkdMethod(HkdMethod.NAME, false);
    /** The energy attribution prior (Rao et al. 2023) on the CAM, one stage. */
    public static final TrainingMethod ENERGY = new EnergyMethod();
    /** Human Knowledge Distillation whose student's loss adds the energy term. */
    public static final TrainingMethod HKD_ENERGY = new HkdMethod(HkdMethod.NAME + "-" + EnergyMethod.NAME, true);

    /** Every method, in the order they are listed (the first is the default). */
    private static final List<TrainingMethod> ALL = List.of(
            BASELINE,
            HKD,
            ENERGY,
            HKD_ENERGY);

    private TrainingMethods() {
    }

    /** Every method, in order. */
    public static List<TrainingMethod> all() {
        return ALL;
    }

    /** The names of every method, in order. */
    public static List<String> names() {
        return ALL.stream().map(TrainingMethod::name).toList();
    }

    /** The method of that name, if any. */
    public static Optional<TrainingMethod> find(String name) {
        return ALL.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** The method of that name; refuses an unknown name, naming the known ones. */
    public static TrainingMethod of(String name) {
        return find(name).orElseThrow(() -> new BadInputException("training method '" + name + "' is unknown; use "
                + String.join(" or ", names())));
    }

    /** The default method, and the reference of a study's comparisons. */
    public static TrainingMethod reference() {
        return BASELINE;
    }

    /** What a study method name (without variants) stands for, or null when no method accepts it. */
    public static TrainingMethod.StudyForm studyForm(String base) {
        for (TrainingMethod method : ALL) {
            TrainingMethod.StudyForm form = method.studyForm(base);
            if (form != null) {
                return form;
            }
        }
        return null;
    }

    /** The study method names every method accepts, as a list for a message ("a, b or c"). */
    public static String studyNames() {
        List<String> names = new ArrayList<>();
        ALL.forEach(m -> names.addAll(m.studyNames()));
        return names.size() == 1 ? names.get(0)
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
