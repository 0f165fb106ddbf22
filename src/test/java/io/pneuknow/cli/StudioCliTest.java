package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pneuknow studio}'s refusals before it serves: a missing data folder, a database not imported yet, a
 * {@code --model} folder without a model.
 */
class StudioCliTest {
    @Test
    void aMissingFolderOrDatabaseIsRefusedWithTheRemedy(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nowhere");
        CliHelpTest.Result noFolder = CliHelpTest.cli("studio", "--data", missing.toString(), "--port", "0");
        assertThat(noFolder.code()).isNotZero();
        assertThat(noFolder.err().strip()).isEqualTo("error: --data " + missing + ": not a folder; give the data set's folder");
        Files.createDirectories(dir.resolve("xrays"));
        CliHelpTest.Result noDatabase = CliHelpTest.cli("studio", "--data", dir.resolve("xrays").toString(), "--port", "0");
        assertThat(noDatabase.code()).isNotZero();
        assertThat(noDatabase.err().strip()).isEqualTo("error: " + dir.resolve("xrays/annotations.mv.db")
                + ": annotation database not found; check the path, or create it with pneuknow annotations import");
        assertThat(dir.resolve("xrays/annotations.mv.db")).doesNotExist();
    }

    @Test
    void aModelFolderWithoutModelJsonIsRefusedBeforeTheDatabaseIsOpened(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("xrays"));
        Files.createDirectories(dir.resolve("runs/empty"));
        CliHelpTest.Result result = CliHelpTest.cli("studio", "--data", dir.resolve("xrays").toString(), "--model",
                dir.resolve("runs/empty").toString(), "--port", "0");
        assertThat(result.code()).isNotZero();
        assertThat(result.err().strip()).isEqualTo("error: --model " + dir.resolve("runs/empty")
                + ": no model.json there; give the folder pneuknow train wrote");
        assertThat(dir.resolve("xrays/annotations.mv.db")).doesNotExist();
    }
}
