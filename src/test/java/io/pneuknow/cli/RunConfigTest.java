package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pneuknow.BadInputException;
import io.pneuknow.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config.json for {@code train --config}: settings left out take the defaults, wrong ones are named with their field. */
class RunConfigTest {
    @Test
    void leftOutSettingsTakeTheDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"data\": {\"root\": \"x\"}, \"train\": {\"method\": \"hkd\", \"allowNoValidation\": true}}");

        TrainConfig train = RunConfig.read(file).train();

        TrainConfig d = TrainConfig.defaults();
        assertThat(train.method().name()).isEqualTo("hkd");
        assertThat(train.allowNoValidation()).isTrue();
        assertThat(train.unannotated()).isEqualTo(d.unannotated());
        assertThat(train.epochs()).isEqualTo(60);
        assertThat(train.with("baseline", d.teacherInput(), d.architecture(), d.seed(), 1.0, 1.0).toBuilder().allowNoValidation(false).build())
                .isEqualTo(d);
        Files.writeString(file, "{\"data\": {\"root\": \"x\"}}");
        assertThat(RunConfig.read(file).train()).isEqualTo(d);
    }

    @Test
    void aWrongSettingIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"data\": {\"root\": \"x\"}, \"train\": {\"augment\": \"medium\"}}");

        BadInputException error = catchThrowableOfType(BadInputException.class, () -> RunConfig.read(file));

        assertThat(error.getMessage()).isEqualTo(file + ": train.augment \"medium\" is not one of none, weak, strong");
    }
}
