package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.data.SyntheticChestXrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run killed with SIGKILL in the middle of the student stage resumes and ends with the uninterrupted run's weights. */
class ResumeTest {
    @Test
    void killedHkdRunResumesToIdenticalWeights(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 8, 2, 1, 0.25, 0.5, 9));
        List<String> args = List.of("train", "--data", data.toString(), "--regions", "regions.csv", "--region-type",
                "lesion", "--split-column", "split", "--method", "hkd", "--architecture", "tiny_cnn", "--input-size", "64",
                "--epochs", "8", "--teacher-epochs", "3", "--kd-epochs", "6", "--batch-size", "4", "--augment", "strong",
                "--dropout", "0.5", "--threads", "1");

        Path whole = dir.resolve("whole");
        List<String> uninterrupted = new ArrayList<>(args);
        uninterrupted.addAll(List.of("--out", whole.toString()));
        assertThat(CliTest.cli(uninterrupted.toArray(String[]::new)).code()).isZero();

        Path killed = dir.resolve("killed");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        command.addAll(List.of("--out", killed.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("killed.log").toFile());
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process process = builder.start();
        Path studentState = killed.resolve("checkpoints/student/state.json");
        long deadline = System.currentTimeMillis() + 240_000;
        while (epochsDone(studentState) < 2 && process.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        process.destroyForcibly().waitFor();
        assertThat(killed.resolve("model.json")).as("the run was killed before it finished").doesNotExist();
        int doneAtKill = epochsDone(studentState);
        assertThat(doneAtKill).isBetween(2, 7);

        CliTest.Result resumed = CliTest.cli("train", "--out", killed.toString(), "--resume", "--threads", "1");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(Files.readAllBytes(killed.resolve("model.params"))).isEqualTo(Files.readAllBytes(whole.resolve("model.params")));
        assertThat(Files.readAllBytes(killed.resolve("teacher/model.params")))
                .isEqualTo(Files.readAllBytes(whole.resolve("teacher/model.params")));
        assertThat(Files.readAllLines(killed.resolve("history-student.csv"))).hasSize(9);
    }

    private static int epochsDone(Path state) {
        try {
            JsonNode node = Json.MAPPER.readTree(state.toFile());
            return node.get("epochsDone").asInt();
        } catch (Exception e) {
            return 0; // not written yet
        }
    }
}
