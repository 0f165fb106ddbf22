package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.SyntheticChestXrays;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code annotation-queue simulate}'s refusals: one line, exit code 1, nothing trained. */
class AnnotationQueueCliTest {
    @Test
    void badValuesAreOneLineNamingTheValueAndTheRemedy(@TempDir Path dir) {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 4, 1, 1, 0, 0.7, 3));
        String out = dir.resolve("sim").toString();

        CliHelpTest.Result unknown = CliHelpTest.cli("annotation-queue", "simulate", "--data", data.toString(),
                "--strategies", "random,entropy", "--out", out);
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err().strip()).isEqualTo("error: strategy 'entropy' is unknown; use random, stratified,"
                + " uncertainty, disagreement, coverage, combination");

        // 8 candidates (cavity and opacity training images); 4 + 2 x 4 = 12 asked for
        CliHelpTest.Result tooMany = CliHelpTest.cli("annotation-queue", "simulate", "--data", data.toString(),
                "--start", "4", "--per-round", "4", "--rounds", "2", "--out", out);
        assertThat(tooMany.code()).isEqualTo(1);
        assertThat(tooMany.err().strip()).isEqualTo("error: start 4 + rounds 2 x per round 4 = 12 images, but the training"
                + " part has only 8 candidates (images not of the no-finding class); ask for fewer");

        CliHelpTest.Result noClass = CliHelpTest.cli("annotation-queue", "simulate", "--data", data.toString(),
                "--no-finding-class", "normal", "--start", "1", "--per-round", "1", "--rounds", "1", "--out", out);
        assertThat(noClass.code()).isEqualTo(1);
        assertThat(noClass.err().strip()).startsWith("error: no-finding class 'normal' is not a class of ")
                .endsWith("(cavity, healthy, opacity); name one of them, or '' for none").doesNotContain("\n");

        CliHelpTest.Result norm = CliHelpTest.cli("annotation-queue", "simulate", "--data", data.toString(),
                "--feature-norm", "cosine", "--out", out);
        assertThat(norm.code()).isEqualTo(1);
        assertThat(norm.err().strip()).contains("cosine").contains("raw").contains("attention").doesNotContain("\n");

        CliHelpTest.Result noFolder = CliHelpTest.cli("annotation-queue", "simulate", "--data", dir.resolve("nope").toString(),
                "--out", out);
        assertThat(noFolder.code()).isEqualTo(1);
        assertThat(noFolder.err()).contains("is not a folder; give the task's folder");
        assertThat(Files.exists(dir.resolve("sim").resolve("seed-1"))).isFalse();

        CliHelpTest.Result bare = CliHelpTest.cli("annotation-queue");
        assertThat(bare.code()).isEqualTo(2);
        assertThat(bare.err()).contains("choose a subcommand: simulate");
    }
}
