package io.pneuknow.train;

import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelCard;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * Human Knowledge Distillation (Schaudt et al. 2023): a teacher trained on ROI images (its input
 * {@code method.teacherInput}: roi, or the controls raw and shuffled-roi; with
 * {@code method.teacherFraction}, the reference's annotation-fraction control, on a seeded
 * class-stratified share of the training images for proportionally more epochs, see
 * {@link TeacherShare}), then a fresh student on all the full training images with {@code alpha(e) * MSE(F_teacher, F_student) + (1 - alpha(e)) * CE}; in the form
 * with the energy term ({@code hkd-energy}), the student's loss adds
 * {@code method.energyWeight * energy} (the CAM's energy outside the student image's own expert
 * regions, {@link TrainingMethod.StageLoss#plusEnergy}). Its study names are its name, with the
 * controls {@code -raw-teacher}, {@code -shuffled-roi}, {@code -fraction-F} (the teacher on a share F
 * of the training images, {@code method.teacherFraction}) and {@code -regions-kept-F} (the regions of a
 * share F of the annotated images kept, the others region-less for both stages,
 * {@code method.regionsKeptFraction}).
 */
final class HkdMethod implements TrainingMethod {
    static final String NAME = "hkd";
    static final String TEACHER = "teacher";
    static final String STUDENT = "student";

    private final String name;
    private final boolean withEnergy;
    private final String fractionPrefix;
    private final String regionsKeptPrefix;

    /** HKD under {@code name}, its student's loss with the energy term when {@code withEnergy}. */
    HkdMethod(String name, boolean withEnergy) {
        this.name = name;
        this.withEnergy = withEnergy;
        this.fractionPrefix = name + "-fraction-";
        this.regionsKeptPrefix = name + "-regions-kept-";
    }

    @Override
    public String name() {
        return name;
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
    public TrainRun.Outcome train(TrainRun.Stages run) throws IOException {
        TrainConfig config = run.config();
        // stage 1: the teacher, on ROI images (raw images or other images' regions in the controls), on its
        // share of the training images (all of them unless method.teacherFraction, the reference's
        // annotation-fraction control, draws fewer; its epochs then scaled by the inverse)
        boolean rawTeacher = config.teacherInput().equals("raw");
        StageTrainer.Input teacherInput = rawTeacher ? StageTrainer.Input.RAW : StageTrainer.Input.ROI;
        ClassifierNet teacher = run.newNet(StageTrainer.TEACHER_DRAW);
        if (config.featureLevel().equals(TrainConfig.LEVEL_PREVIOUS)
                && !(teacher.backbone() instanceof ai.djl.nn.SequentialBlock)) {
            throw new io.pneuknow.BadInputException("method.featureLevel previous: the backbone of "
                    + config.architecture() + " is not a sequence of blocks, so it has no previous level; use last");
        }
        List<BatchLoader.Item> trainViews = run.roiViews(run.train(), 3);
        List<Integer> share = TeacherShare.draw(run.train().stream().map(PreparedSample::label).toList(),
                config.teacherFraction(), config.seed());
        List<BatchLoader.Item> teacherPool = share.stream()
                .map(i -> rawTeacher ? new BatchLoader.Item(run.train().get(i), null) : trainViews.get(i)).toList();
        int teacherEpochs = TeacherShare.epochs(config.teacherEpochs(), config.teacherFraction());
        if (config.teacherFraction() < 1) {
            run.log().printf(Locale.ROOT, "teacher: trains on %d of %d training images (method.teacherFraction %s, a"
                            + " class-stratified draw of seed %d) for %d epochs (%d / %s)%n", share.size(),
                    run.train().size(), config.teacherFraction(), config.seed(), teacherEpochs, config.teacherEpochs(),
                    config.teacherFraction());
        }
        run.log().printf("teacher: %d of %d training images have an ROI%n",
                share.stream().filter(i -> run.train().get(i).hasRoi()).count(), share.size());
        List<BatchLoader.Item> teacherTrain = rawTeacher ? teacherPool : TrainRun.withRoiView(teacherPool);
        List<BatchLoader.Item> teacherVal = rawTeacher ? TrainRun.items(run.val(), false)
                : TrainRun.withRoiView(run.roiViews(run.val(), 4));
        StageTrainer.Stage teacherStage = new StageTrainer.Stage(TEACHER, StageTrainer.TEACHER_DRAW, teacherInput,
                teacherEpochs,
                teacherTrain, teacherVal, null, loss(TEACHER, config));
        StageTrainer.Result teacherResult = run.run(teacherStage, teacher);
        ModelCard teacherCard = run.save(run.out().resolve(TEACHER), teacher, TEACHER + "-" + config.teacherInput(),
                null, teacherResult, teacherStage.epochs(), teacherTrain, teacherVal);
        List<BatchLoader.Item> teacherTest = rawTeacher ? TrainRun.items(run.test(), false)
                : TrainRun.withRoiView(run.roiViews(run.test(), 5));
        double teacherAcc = run.accuracy(teacher, teacherTest, teacherInput);
        // the no-finding class's black ROI makes the teacher trivially right there
        double teacherAccPathological = run.accuracy(teacher, teacherTest.stream()
                .filter(item -> !item.sample().sample().className().equals(config.noFindingClass())).toList(),
                teacherInput);

        // stage 2: a freshly initialised student on raw images, matching the frozen teacher's features; on the
        // final stage's draw, so it starts from the baseline's weights and sees the baseline's batches
        ClassifierNet student = run.newNet(StageTrainer.FINAL_STAGE_DRAW);
        run.log().printf("student: distils on all %d training images, %d of them with an ROI view%n",
                trainViews.size(), TrainRun.withRoiView(trainViews).size());
        StageTrainer.Teacher frozen = new StageTrainer.Teacher(teacher, teacherInput, config.alpha0(), config.kdEpochs(),
                config.featureLevel().equals(TrainConfig.LEVEL_PREVIOUS));
        StageTrainer.Stage studentStage = new StageTrainer.Stage(STUDENT, StageTrainer.FINAL_STAGE_DRAW,
                StageTrainer.Input.RAW, config.finalStageEpochs(), trainViews, TrainRun.items(run.val(), false), frozen,
                loss(STUDENT, config));
        StageTrainer.Result result = run.run(studentStage, student);
        ModelCard.TeacherInfo teacherInfo = new ModelCard.TeacherInfo(TEACHER, teacherCard.weightsSha256(),
                config.teacherInput(), teacherCard.checkpoint());
        ModelCard card = run.save(run.out(), student, name, teacherInfo, result, studentStage.epochs());
        double acc = run.accuracy(student, TrainRun.items(run.test(), false), StageTrainer.Input.RAW);
        return new TrainRun.Outcome(card, acc, teacherCard, teacherAcc, run.test().size(), teacherTest.size(),
                teacherAccPathological);
    }

    @Override
    public StageLoss loss(String stage, TrainConfig config) {
        if (!stage.equals(STUDENT)) {
            return StageLoss.CLASSIFICATION;
        }
        StageLoss distillation = StageLoss.distillation(config.featureNorm());
        return withEnergy ? distillation.plusEnergy(config.energyWeight()) : distillation;
    }

    @Override
    public StudyForm studyForm(String base) {
        if (base.equals(name)) {
            return StudyForm.plain(this, "roi");
        }
        if (base.equals(name + "-raw-teacher")) {
            return StudyForm.plain(this, "raw");
        }
        if (base.equals(name + "-shuffled-roi")) {
            return StudyForm.plain(this, "shuffled-roi");
        }
        double teacherShare = fraction(base, fractionPrefix);
        if (!Double.isNaN(teacherShare)) {
            return new StudyForm(this, "roi", teacherShare, 1, true);
        }
        double regionsKept = fraction(base, regionsKeptPrefix);
        if (!Double.isNaN(regionsKept)) {
            return new StudyForm(this, "roi", 1, regionsKept, false);
        }
        return null;
    }

    /** F of {@code PREFIX-F} with F in (0, 1], else NaN. */
    private static double fraction(String base, String prefix) {
        if (!base.startsWith(prefix)) {
            return Double.NaN;
        }
        try {
            double f = Double.parseDouble(base.substring(prefix.length()));
            return f > 0 && f <= 1 ? f : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    @Override
    public List<String> studyNames() {
        return List.of(name, name + "-raw-teacher", name + "-shuffled-roi", fractionPrefix + "F with F in (0, 1]",
                regionsKeptPrefix + "F with F in (0, 1]");
    }
}
