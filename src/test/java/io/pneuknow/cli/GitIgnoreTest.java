package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What the quick start writes into the checkout is ignored by git, so a new user's `git status` stays clean. */
class GitIgnoreTest {
    @Test
    void theDemosDefaultOutputFolderIsIgnored() throws Exception {
        String out = new CommandLine(new DemoCommand()).getCommandSpec().findOption("--out").defaultValue();
        assertThat(out).isNotBlank();
        Path repo = Path.of("").toAbsolutePath();
        Process git = new ProcessBuilder("git", "check-ignore", "--no-index", "-q", out + "/model.json")
                .directory(repo.toFile()).redirectErrorStream(true).start();
        assertThat(git.waitFor()).as("git check-ignore %s/model.json in %s (0 = ignored)", out, repo).isZero();
    }
}
