package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kept epoch and early stopping on constructed histories. */
class SelectionTest {
    /** A history from per-epoch (val loss, val balanced accuracy, val macro-F1). */
    static List<EpochRecord> history(double[][] rows) {
        List<EpochRecord> out = new ArrayList<>();
        for (int e = 0; e < rows.length; e++) {
            out.add(new EpochRecord(e, 1e-3, 0, 1, 1, Double.NaN, 0.5, rows[e][0], 0.5, 1, rows[e][1], rows[e][2], 0.0));
        }
        return out;
    }

    //                         val loss, bal. acc., macro-F1
    static final double[][] ROWS = {
            {0.90, 0.33, 0.20},  // 0: predicts the majority class
            {0.70, 0.40, 0.30},  // 1: lowest loss
            {0.75, 0.55, 0.52},  // 2
            {0.80, 0.60, 0.50},  // 3: best balanced accuracy (first time)
            {0.78, 0.60, 0.58},  // 4: the same balanced accuracy, lower loss: replaces 3; best macro-F1
            {0.85, 0.60, 0.40},  // 5: the same, higher loss: does not
            {0.95, 0.50, 0.45},  // 6
            {0.99, 0.45, 0.44},  // 7
    };

    static Selection by(String metric, int patience) {
        return new Selection(metric, patience, 0);
    }

    /** The kept epoch and stop as StageTrainer decides them, epoch by epoch through the checkpoint state. */
    static StageCheckpoint.State replay(List<EpochRecord> history, Selection selection, int planned) {
        StageCheckpoint.State state = StageCheckpoint.State.fresh("test");
        for (EpochRecord r : history) {
            if (selection.stopsAfter(state.history(), state.bestEpoch(), planned)) {
                break;
            }
            state = state.after(r, selection);
        }
        return state;
    }

    @Test
    void eachMetricKeepsItsOwnBestEpoch() {
        List<EpochRecord> h = history(ROWS);
        assertThat(by("loss", 0).bestEpoch(h)).isEqualTo(1);
        assertThat(by("balanced-accuracy", 0).bestEpoch(h)).isEqualTo(4);
        assertThat(by("macro-f1", 0).bestEpoch(h)).isEqualTo(4);
        assertThat(by("macro-f1", 0).bestEpoch(h.subList(0, 4))).isEqualTo(2);
        // the checkpoint state agrees, epoch by epoch, and records the kept epoch's loss
        StageCheckpoint.State state = replay(h, by("balanced-accuracy", 0), 8);
        assertThat(state.bestEpoch()).isEqualTo(4);
        assertThat(state.bestValLoss()).isEqualTo(0.78);
        assertThat(state.epochsDone()).isEqualTo(8);
        assertThat(replay(h, by("loss", 0), 8).bestEpoch()).isEqualTo(1);
    }

    @Test
    void tiesKeepTheEarlierEpochUnlessAMetricTieHasALowerLoss() {
        // equal losses: the earlier epoch stays
        assertThat(by("loss", 0).bestEpoch(history(new double[][] {{0.5, 0.1, 0.1}, {0.5, 0.9, 0.9}}))).isZero();
        // equal balanced accuracy and loss: the earlier stays
        assertThat(by("balanced-accuracy", 0).bestEpoch(history(new double[][] {{0.5, 0.6, 0.1}, {0.5, 0.6, 0.9}})))
                .isZero();
        // equal balanced accuracy, lower loss: the later one
        assertThat(by("balanced-accuracy", 0).bestEpoch(history(new double[][] {{0.5, 0.6, 0.1}, {0.4, 0.6, 0.1}})))
                .isEqualTo(1);
        // higher balanced accuracy wins whatever the loss
        assertThat(by("balanced-accuracy", 0).bestEpoch(history(new double[][] {{0.1, 0.6, 0.1}, {2.0, 0.61, 0.1}})))
                .isEqualTo(1);
    }

    @Test
    void undefinedValuesNeverReplaceDefinedOnesAndWithoutValidationTheLastEpochIsKept() {
        double nan = Double.NaN;
        // a diverged epoch (NaN loss) is not kept
        assertThat(by("loss", 0).bestEpoch(history(new double[][] {{0.5, 0.5, 0.5}, {nan, nan, nan}, {0.6, 0.4, 0.4}})))
                .isZero();
        // no validation images: every value NaN, the last epoch is kept, and nothing stops early
        List<EpochRecord> none = history(new double[][] {{nan, nan, nan}, {nan, nan, nan}, {nan, nan, nan}});
        for (String metric : List.of("loss", "balanced-accuracy", "macro-f1")) {
            assertThat(by(metric, 1).bestEpoch(none)).isEqualTo(2);
            assertThat(replay(none, by(metric, 1), 10).epochsDone()).isEqualTo(3);
        }
    }

    @Test
    void earlyStoppingEndsTheStagePatienceEpochsAfterTheKeptEpoch() {
        List<EpochRecord> h = history(ROWS);
        // by balanced accuracy the kept epoch is 4; epochs 5 and 6 do not beat it: stop after epoch 6
        Selection ba = by("balanced-accuracy", 2);
        assertThat(ba.stopsAfter(h.subList(0, 6), 4, 8)).isFalse();
        assertThat(ba.stopsAfter(h.subList(0, 7), 4, 8)).isTrue();
        StageCheckpoint.State state = replay(h, ba, 8);
        assertThat(state.epochsDone()).isEqualTo(7);
        assertThat(state.bestEpoch()).isEqualTo(4);
        // by loss the kept epoch is 1: with patience 2 the stage stops after epoch 3, with 3 after epoch 4
        assertThat(replay(h, by("loss", 2), 8).epochsDone()).isEqualTo(4);
        assertThat(replay(h, by("loss", 3), 8).epochsDone()).isEqualTo(5);
        // the tie rule restarts the count: by balanced accuracy with patience 1, epoch 4 (tie, lower
        // loss) keeps the stage going; epoch 5 (tie, higher loss) ends it
        assertThat(replay(h, by("balanced-accuracy", 1), 8).epochsDone()).isEqualTo(6);
        // patience 0: never; reaching the planned epochs is not an early stop
        assertThat(replay(h, by("loss", 0), 8).epochsDone()).isEqualTo(8);
        assertThat(by("loss", 6).stopsAfter(h, 1, 8)).isFalse();
        assertThat(by("loss", 6).stopsAfter(h.subList(0, 7), 1, 8)).isFalse();
        assertThat(by("loss", 5).stopsAfter(h.subList(0, 7), 1, 8)).isTrue();
    }

    @Test
    void theStudentIsNotStoppedBeforeItsFeatureTermHasEndedAndThenGetsPatienceEpochs() {
        List<EpochRecord> h = history(ROWS);
        // kept epoch 1 by loss; feature term in epochs 0..3 (kdEpochs 4): counting starts after epoch 3
        Selection student = new Selection("loss", 2, 4);
        assertThat(student.stopsAfter(h.subList(0, 4), 1, 8)).isFalse();
        assertThat(student.stopsAfter(h.subList(0, 5), 1, 8)).isFalse();
        assertThat(student.stopsAfter(h.subList(0, 6), 1, 8)).isTrue();
        assertThat(replay(h, student, 8).epochsDone()).isEqualTo(6);
        // a kept epoch after the feature term counts as usual (balanced accuracy: kept epoch 4)
        assertThat(replay(h, new Selection("balanced-accuracy", 2, 4), 8).epochsDone()).isEqualTo(7);
    }

    @Test
    void theStudentsFeatureEpochsComeFromItsTeacher() {
        TrainConfig config = StageTrainerTest.config();
        StageTrainer.Teacher teacher = new StageTrainer.Teacher(null, StageTrainer.Input.ROI, 0.5f, 40);
        assertThat(Selection.of(config, new StageTrainer.Stage("student", StageTrainer.FINAL_STAGE_DRAW, StageTrainer.Input.RAW, 60, List.of(),
                List.of(), teacher)).featureEpochs()).isEqualTo(40);
        // never more than the stage has, none without a feature term or a teacher
        assertThat(Selection.of(config, new StageTrainer.Stage("student", StageTrainer.FINAL_STAGE_DRAW, StageTrainer.Input.RAW, 30, List.of(),
                List.of(), teacher)).featureEpochs()).isEqualTo(30);
        assertThat(Selection.of(config, new StageTrainer.Stage("student", StageTrainer.FINAL_STAGE_DRAW, StageTrainer.Input.RAW, 60, List.of(),
                List.of(), new StageTrainer.Teacher(null, StageTrainer.Input.ROI, 0f, 40))).featureEpochs()).isZero();
        assertThat(Selection.of(config, new StageTrainer.Stage("teacher", StageTrainer.TEACHER_DRAW, StageTrainer.Input.ROI, 20, List.of(),
                List.of(), null)).featureEpochs()).isZero();
    }

    @Test
    void settingsLeftOutOfJsonTakeTheEarlierBehaviourAndBadValuesAreNamed() throws Exception {
        TrainConfig defaults = TrainConfig.defaults();
        assertThat(defaults.sampling()).isEqualTo("shuffle");
        assertThat(defaults.loss()).isEqualTo("cross-entropy");
        assertThat(defaults.focalGamma()).isEqualTo(2.0);
        assertThat(defaults.selectBy()).isEqualTo("loss");
        assertThat(defaults.patience()).isZero();
        assertThat(defaults.lossGamma()).isZero();
        // a config.json written before these settings existed (the flat form of PneuKnow 0.2)
        ObjectNode old = TrainConfigTest.flat(defaults);
        for (String f : List.of("sampling", "loss", "focalGamma", "selectBy", "patience")) {
            old.remove(f);
        }
        TrainConfig read = Json.MAPPER.treeToValue(old, TrainConfig.class);
        assertThat(read).isEqualTo(defaults);
        // written back in full
        assertThat(Json.MAPPER.valueToTree(read).get("optimisation").get("selectBy").asText()).isEqualTo("loss");

        ObjectNode focal = TrainConfigTest.flat(defaults);
        focal.put("loss", "focal").put("focalGamma", 1.5).put("sampling", "class-balanced")
                .put("selectBy", "macro-f1").put("patience", 7);
        TrainConfig set = Json.MAPPER.treeToValue(focal, TrainConfig.class).validated();
        assertThat(set.lossGamma()).isEqualTo(1.5);
        assertThat(set.balancedSampling()).isTrue();
        assertThat(set.with("hkd", "raw", "tiny_cnn", 3, 1, 0.5)).satisfies(w -> {
            assertThat(w.selectBy()).isEqualTo("macro-f1");
            assertThat(w.patience()).isEqualTo(7);
            assertThat(w.focalGamma()).isEqualTo(1.5);
        });

        focal.put("loss", "dice").put("focalGamma", -1.0).put("sampling", "oversample").put("selectBy", "auc")
                .put("patience", -2);
        TrainConfig bad = Json.MAPPER.treeToValue(focal, TrainConfig.class);
        assertThatThrownBy(bad::validated).isInstanceOf(BadInputException.class)
                .hasMessageContaining("train.imbalance.sampling 'oversample': unknown; use shuffle or class-balanced")
                .hasMessageContaining("train.imbalance.loss 'dice': unknown; use cross-entropy or focal")
                .hasMessageContaining("train.imbalance.focalGamma -1.0: must be a number of 0 or more")
                .hasMessageContaining("train.optimisation.selectBy 'auc': unknown; use loss, balanced-accuracy or macro-f1")
                .hasMessageContaining("train.optimisation.patience -2: must be 0 (no early stopping) or more");
    }
}
