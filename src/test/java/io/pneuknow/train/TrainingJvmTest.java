package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The launcher gives training commands the same JVM options as the studio's jobs and the bench's children. */
class TrainingJvmTest {
    @Test
    void theLauncherAddsTheTrainingOptionsForTheTrainingCommands() throws Exception {
        String launcher = Files.readString(Path.of("pneuknow"));
        assertThat(TrainingJvm.OPTIONS).containsExactly("-XX:+UseSerialGC", "-Xms64m");
        assertThat(launcher).contains("training_jvm=\"" + String.join(" ", TrainingJvm.OPTIONS) + "\"")
                .contains("  train|experiment|demo|pretrain|bench)\n");
    }
}
