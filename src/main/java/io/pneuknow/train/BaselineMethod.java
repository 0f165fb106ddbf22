package io.pneuknow.train;

import java.util.List;

/** The baseline: one stage, cross-entropy (or focal loss) on the full images; the expert's regions are not used. */
final class BaselineMethod implements TrainingMethod {
    static final String NAME = "baseline";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean distills() {
        return false;
    }

    @Override
    public List<String> stages() {
        return List.of(NAME);
    }

    @Override
    public StageLoss loss(String stage) {
        return StageLoss.CLASSIFICATION;
    }

    @Override
    public StudyForm studyForm(String base) {
        return base.equals(NAME) ? new StudyForm(this, "roi", 1, false) : null;
    }

    @Override
    public List<String> studyNames() {
        return List.of(NAME);
    }
}
