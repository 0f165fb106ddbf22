package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.train.TrainConfig;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The study's time estimate: per method from finished cells of that method, else scaled by stage epochs, and it says which. */
class StudyEstimateTest {
    /** Baseline 60 epochs; HKD 20 teacher + 60 student epochs with the teacher's forward pass: 20 + 60 x 4/3 = 100. */
    private static final ToDoubleFunction<StudyMethod> UNITS = m -> StudyEstimate.work(
            TrainConfig.defaults().with(m.method(), m.teacherInput(), "tiny_cnn", 1, m.teacherFraction(),
                    m.regionsKeptFraction()));

    @Test
    void anHkdCellIsEstimatedFromStageEpochsWhenOnlyBaselineCellsAreFinished() {
        List<CellResult> finished = List.of(cell("tiny_cnn", "baseline", 120), cell("tiny_cnn", "baseline", 120));

        StudyEstimate estimate = StudyEstimate.of(List.of(left("tiny_cnn", "hkd")), finished, UNITS);

        // 2 s per baseline epoch, 100 baseline-epoch equivalents: 200 s, not the baseline's 120 s
        assertThat(estimate.seconds()).isCloseTo(200, within(1e-9));
        assertThat(estimate.text()).isEqualTo(
                "3 min (tiny_cnn hkd: scaled by stage epochs and input size from 2 finished tiny_cnn cells)");
    }

    @Test
    void finishedCellsOfTheSameMethodAndArchitectureComeFirst() {
        List<CellResult> finished = List.of(cell("tiny_cnn", "baseline", 120), cell("tiny_cnn", "baseline", 120),
                cell("tiny_cnn", "hkd", 210));
        List<StudyRunner.Cell> left = List.of(left("tiny_cnn", "baseline"), left("tiny_cnn", "hkd"),
                left("tiny_cnn", "hkd-raw-teacher"), left("resnet18", "hkd"));

        StudyEstimate estimate = StudyEstimate.of(left, finished, UNITS);

        // 120 + 210 measured; the other two scaled: 450 s over 60 + 60 + 100 equivalents, times 100
        double scaled = 450.0 / 220 * 100;
        assertThat(estimate.seconds()).isCloseTo(120 + 210 + 2 * scaled, within(1e-9));
        assertThat(estimate.text()).isEqualTo("12 min (tiny_cnn baseline, tiny_cnn hkd: the mean of their own finished cells; "
                + "tiny_cnn hkd-raw-teacher: scaled by stage epochs and input size from 3 finished tiny_cnn cells; "
                + "resnet18 hkd: scaled by stage epochs and input size from 3 finished cells of other architectures (rough))");
    }

    @Test
    void aVariantAtAnotherInputSizeIsScaledByItsPixels() {
        // base settings at 128 px; the variant px224 trains at 224 px
        TrainConfig at128 = TrainConfig.fromJson(io.pneuknow.Json.MAPPER.createObjectNode().put("inputSize", 128), "test");
        ToDoubleFunction<StudyMethod> work = m -> StudyEstimate.work(m.variants().contains("px224")
                ? TrainConfig.defaults() : at128);

        StudyEstimate estimate = StudyEstimate.of(List.of(left("tiny_cnn", "baseline+px224")),
                List.of(cell("tiny_cnn", "baseline", 120)), work);

        assertThat(estimate.seconds()).isCloseTo(120 * (224.0 * 224) / (128 * 128), within(1e-9));
        assertThat(estimate.text()).contains("tiny_cnn baseline+px224: scaled by stage epochs and input size from 1 finished tiny_cnn cell)");
    }

    @Test
    void withoutFinishedCellsThereIsNoEstimate() {
        StudyEstimate estimate = StudyEstimate.of(List.of(left("tiny_cnn", "hkd")), List.of(), UNITS);
        assertThat(estimate.seconds()).isNaN();
        assertThat(estimate.text()).isEqualTo("? min (no finished cell yet)");
    }

    @Test
    void epochUnitsCountTheTeacherAndTheStudentsTeacherPass() {
        TrainConfig d = TrainConfig.defaults();
        assertThat(StudyEstimate.epochUnits(d)).isEqualTo(60);
        assertThat(StudyEstimate.epochUnits(d.with("hkd", "roi", "tiny_cnn", 1, 1.0, 1.0))).isCloseTo(100, within(1e-9));
    }

    private static StudyRunner.Cell left(String architecture, String method) {
        return new StudyRunner.Cell(architecture, StudyMethod.parse(method), 0, 1);
    }

    private static CellResult cell(String architecture, String method, double seconds) {
        return new CellResult(architecture, method, 0, 1, List.of(), 0, 0, 0, List.of(), seconds, "id", List.of());
    }
}
