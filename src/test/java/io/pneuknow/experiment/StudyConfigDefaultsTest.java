package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import io.pneuknow.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hand-written study file: training settings left out take the defaults, wrong ones are named with their field. */
class StudyConfigDefaultsTest {
    @TempDir
    Path dir;

    @Test
    void aMinimalStudyFileTakesTheDefaultTrainingSettings() throws Exception {
        Path file = study("\"train\": {\"epochs\": 5, \"unannotated\": \"whole-image\"}");

        StudyConfig config = StudyConfig.read(file);

        TrainConfig d = TrainConfig.defaults();
        TrainConfig t = config.train();
        assertThat(t.epochs()).isEqualTo(5);
        assertThat(t.unannotated()).isEqualTo("whole-image");
        assertThat(t.teacherEpochs()).isEqualTo(d.teacherEpochs()).isEqualTo(20);
        assertThat(t.augment()).isEqualTo(d.augment()).isEqualTo("strong");
        assertThat(t.batchSize()).isEqualTo(d.batchSize()).isEqualTo(8);
        assertThat(t.learningRate()).isEqualTo(d.learningRate());
        assertThat(t.dropout()).isEqualTo(d.dropout());
        assertThat(t.noFindingClass()).isEqualTo("healthy");
        assertThat(t.roiShape()).isEqualTo("mask");
        assertThat(t.inputSize()).isEqualTo(224);
        assertThat(t.seed()).isEqualTo(42);
        assertThat(t.allowNoValidation()).isFalse();
        // apart from the two given, exactly the defaults
        assertThat(d.toBuilder().epochs(5).unannotated("whole-image").build()).isEqualTo(t);
        assertThat(config.trainFor(StudyMethod.parse("hkd")).validated()).isEqualTo(t);
    }

    @Test
    void anEmptyTrainObjectIsAllDefaults() throws Exception {
        assertThat(StudyConfig.read(study("\"train\": {}")).train()).isEqualTo(TrainConfig.defaults());
    }

    @Test
    void wrongSettingsAreNamedWithTheirField() throws Exception {
        Path file = study("\"train\": {\"augment\": \"medium\", \"epochs\": \"ten\", \"epoch\": 5, \"classWeights\": 1},"
                + " \"variants\": {\"v\": {\"sampling\": \"balanced\"}}");

        BadInputException error = catchThrowableOfType(BadInputException.class, () -> StudyConfig.read(file));

        assertThat(error.getMessage()).contains(
                file + ": train.augment \"medium\" is not one of none, weak, strong",
                file + ": train.epochs \"ten\" is not a whole number",
                file + ": train.epoch is not a training setting",
                file + ": train.classWeights 1 is not true or false",
                file + ": variants.v.sampling \"balanced\" is not one of shuffle, class-balanced");
    }

    private Path study(String train) throws Exception {
        Path file = dir.resolve("study.json");
        Files.writeString(file, "{\"data\": {\"root\": \"x\", \"splitColumn\": \"split\"}, \"architectures\": [\"tiny_cnn\"],"
                + " \"methods\": [\"baseline\", \"hkd\"], \"seeds\": [1], " + train + "}");
        return file;
    }
}
