package io.pneuknow.train;

import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelCard;
import java.io.IOException;
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
    public TrainRun.Outcome train(TrainRun.Stages run) throws IOException {
        return trainOneStage(run, NAME, loss(NAME, run.config()));
    }

    /**
     * Trains one stage named {@code name} on the full training images with {@code loss}, saves its network
     * as the run's model (its card naming {@code name}) and scores it on the test part; the stage of
     * the baseline and of every other one-stage method, on the final stage's draw
     * ({@link StageTrainer#FINAL_STAGE_DRAW}).
     */
    static TrainRun.Outcome trainOneStage(TrainRun.Stages run, String name, StageLoss loss) throws IOException {
        ClassifierNet net = run.newNet(StageTrainer.FINAL_STAGE_DRAW);
        StageTrainer.Stage stage = new StageTrainer.Stage(name, StageTrainer.FINAL_STAGE_DRAW, StageTrainer.Input.RAW,
                run.config().epochs(), TrainRun.items(run.train(), false), TrainRun.items(run.val(), false), null,
                loss);
        StageTrainer.Result result = run.run(stage, net);
        ModelCard card = run.save(run.out(), net, name, null, result, stage.epochs());
        double acc = run.accuracy(net, TrainRun.items(run.test(), false), StageTrainer.Input.RAW);
        return new TrainRun.Outcome(card, acc, null, Double.NaN, run.test().size(), 0, Double.NaN);
    }

    @Override
    public StageLoss loss(String stage, TrainConfig config) {
        return StageLoss.CLASSIFICATION;
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
