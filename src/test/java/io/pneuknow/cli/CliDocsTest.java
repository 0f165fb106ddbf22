package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.cli.DocCommands.DocCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every {@code ./pneuknow} command in the fenced blocks of README.md and docs/ parses against the command line:
 * the commands exist, every option exists under its current name. Commands with {@code --spark} go to the Spark
 * launcher and are checked in the Spark module (SparkCliTest).
 */
class CliDocsTest {
    static final Path REPOSITORY = Path.of("").toAbsolutePath();
    static final Supplier<CommandLine> CLI = DocCommands.quiet(Main::commandLine);

    @Test
    void everyDocumentedCommandParsesWithCurrentOptionNames() {
        List<DocCommand> commands = new ArrayList<>();
        for (Path file : DocCommands.markdownFiles(REPOSITORY)) {
            DocCommands.read(file, "./pneuknow").stream().filter(c -> !c.words().contains("--spark")).forEach(commands::add);
        }
        // the README alone has some twenty; a broken reader would find none and pass
        assertThat(commands).hasSizeGreaterThan(40);
        assertThat(commands.stream().map(c -> c.words().get(0)).distinct())
                .contains("data", "train", "evaluate", "predict", "serve", "experiment", "pretrain", "bench", "demo");
        List<String> problems = commands.stream().flatMap(c -> DocCommands.problems(c, CLI).stream()).toList();
        assertThat(problems).isEmpty();
    }

    @Test
    void continuationLinesAndVariablesAreReadAsOneCommand(@TempDir Path dir) throws IOException {
        Path doc = Files.writeString(dir.resolve("doc.md"), String.join("\n",
                "text ./pneuknow train --not-in-a-block",
                "```bash",
                "OPTS=\"--architecture tiny_cnn \\",
                "  --input-size 64\"",
                "./pneuknow train --data d $OPTS \\",
                "    --out runs/x   # a comment --bogus",
                "$ ./pneuknow data check --data d          $ ./pneuknow models | head",
                "```", ""));
        List<DocCommand> commands = DocCommands.read(doc, "./pneuknow");
        assertThat(commands).extracting(DocCommand::line).containsExactly(5, 7, 7);
        assertThat(commands.get(0).words()).containsExactly("train", "--data", "d", "--architecture", "tiny_cnn",
                "--input-size", "64", "--out", "runs/x");
        assertThat(commands.get(1).words()).containsExactly("data", "check", "--data", "d");
        assertThat(commands.get(2).words()).containsExactly("models");
        assertThat(commands).allSatisfy(c -> assertThat(DocCommands.problems(c, CLI)).isEmpty());
    }

    @Test
    void aMisspeltFormerOrMisplacedOptionIsAProblem(@TempDir Path dir) throws IOException {
        Path doc = Files.writeString(dir.resolve("doc.md"), String.join("\n",
                "```",
                "./pneuknow train --out x --architecure tiny_cnn",
                "./pneuknow train --out x --arch tiny_cnn",
                "./pneuknow evaluate --model m --heat-maps",
                "./pneuknow data --data d",
                "./pneuknow sevre --model m",
                "./pneuknow models --input-size large",
                "```", ""));
        List<String> problems = DocCommands.read(doc, "./pneuknow").stream()
                .map(c -> String.join("; ", DocCommands.problems(c, CLI))).toList();
        assertThat(problems).hasSize(6);
        assertThat(problems.get(0)).contains("--architecure");
        assertThat(problems.get(1)).contains("--arch is a former name (Former name of --architecture.)");
        assertThat(problems.get(2)).contains("--heat-maps");
        assertThat(problems.get(3)).contains("--data");
        assertThat(problems.get(4)).contains("sevre");
        assertThat(problems.get(5)).contains("large");
    }
}
