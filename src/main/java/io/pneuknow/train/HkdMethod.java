package io.pneuknow.train;

import java.util.List;

/**
 * Human Knowledge Distillation (Schaudt et al. 2023): a teacher trained on ROI images (its input
 * {@code method.teacherInput}: roi, or the controls raw and shuffled-roi; with
 * {@code method.annotationFraction}, on a share of the annotations), then a fresh student on the
 * full images with {@code alpha(e) * MSE(F_teacher, F_student) + (1 - alpha(e)) * CE}.
 */
final class HkdMethod implements TrainingMethod {
    static final String NAME = "hkd";
    static final String TEACHER = "teacher";
    static final String STUDENT = "student";
    private static final String FRACTION_PREFIX = NAME + "-fraction-";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean distills() {
        return true;
    }

    @Override
    public List<String> stages() {
        return List.of(TEACHER, STUDENT);
    }

    @Override
    public StageLoss loss(String stage) {
        return stage.equals(STUDENT) ? StageLoss.DISTILLATION : StageLoss.CLASSIFICATION;
    }

    @Override
    public StudyForm studyForm(String base) {
        if (base.equals(NAME)) {
            return new StudyForm(this, "roi", 1, false);
        }
        if (base.equals(NAME + "-raw-teacher")) {
            return new StudyForm(this, "raw", 1, false);
        }
        if (base.equals(NAME + "-shuffled-roi")) {
            return new StudyForm(this, "shuffled-roi", 1, false);
        }
        if (base.startsWith(FRACTION_PREFIX)) {
            try {
                double f = Double.parseDouble(base.substring(FRACTION_PREFIX.length()));
                if (f > 0 && f <= 1) {
                    return new StudyForm(this, "roi", f, true);
                }
            } catch (NumberFormatException ignored) {
                // not one of this method's names
            }
        }
        return null;
    }

    @Override
    public List<String> studyNames() {
        return List.of(NAME, NAME + "-raw-teacher", NAME + "-shuffled-roi", FRACTION_PREFIX + "F with F in (0, 1]");
    }
}
