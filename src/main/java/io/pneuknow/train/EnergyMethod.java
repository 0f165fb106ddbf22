package io.pneuknow.train;

import java.io.IOException;
import java.util.List;

/**
 * The energy attribution prior (Rao et al., ICCV 2023, "Studying how to efficiently and effectively
 * guide models with explanations"), on the class activation map: one stage on the full images with
 * {@code CE + method.energyWeight * energy}, where the energy term is, per image with an expert
 * region, the share of the positive CAM of its true class outside the region (regions mapped onto
 * the feature grid by area), averaged over those images; images without a region (no-finding,
 * unannotated) add nothing. The CAM comes from the head's weights and the feature map of the same
 * forward pass ({@link io.pneuknow.model.ClassifierNet#classActivationMaps}), so an ordinary backward
 * pass trains it; for the LayerNorm head (ConvNeXt) through the per-location decomposition.
 */
final class EnergyMethod implements TrainingMethod {
    static final String NAME = "energy";

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
    public TrainRun.Outcome train(TrainRun.Stages run) throws IOException {
        return BaselineMethod.trainOneStage(run, NAME, loss(NAME, run.config()));
    }

    @Override
    public StageLoss loss(String stage, TrainConfig config) {
        return StageLoss.CLASSIFICATION.plusEnergy(config.energyWeight());
    }

    @Override
    public StudyForm studyForm(String base) {
        return base.equals(NAME) ? StudyForm.plain(this, "roi") : null;
    }

    @Override
    public List<String> studyNames() {
        return List.of(NAME);
    }
}
