package io.pneuknow.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.cli.DocCommands;
import io.pneuknow.cli.DocCommands.DocCommand;
import io.pneuknow.cli.PneuknowVersion;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The Spark launcher's command line: help and version everywhere, the core's exit codes and former names, and
 * the documented Spark commands ({@code ./pneuknow ... --spark}, {@code spark/pneuknow-spark}, spark-submit of
 * the jar) parse with their current option names. Starts no Spark session.
 */
class SparkCliTest {
    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    static final Supplier<CommandLine> CLI = DocCommands.quiet(Main::commandLine);

    /** Exit code, standard output, standard error, and what picocli itself wrote to System.err (its warnings). */
    record Result(int code, String out, String err, String systemErr) {
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream systemErr = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(systemErr, true, StandardCharsets.UTF_8));
        try {
            int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
            return new Result(code, out.toString(), err.toString(), systemErr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void everyCommandAnswersHelpAndVersionWithExitZeroAndNoWarnings() {
        List<List<String>> paths = commandPaths(CLI.get(), List.of());
        assertThat(paths).contains(List.of("experiment"), List.of("predict"), List.of("help"));
        for (List<String> path : paths) {
            String name = String.join(" ", "pneuknow-spark", String.join(" ", path)).strip();
            List<String> help = new ArrayList<>(path);
            help.add("--help");
            Result r = cli(help.toArray(String[]::new));
            assertThat(r.code()).as(name + " --help: " + r.err()).isZero();
            assertThat(r.out()).as(name).startsWith("Usage: " + name).contains("-V, --version").doesNotContain("%n");
            assertThat(r.err() + r.systemErr()).as(name).isEmpty();
            List<String> version = new ArrayList<>(path);
            version.add("--version");
            Result v = cli(version.toArray(String[]::new));
            assertThat(v.code()).isZero();
            assertThat(v.out().strip()).isEqualTo("pneuknow-spark " + PneuknowVersion.NUMBER);
        }
        Result viaHelp = cli("help", "predict");
        assertThat(viaHelp.code()).isZero();
        assertThat(viaHelp.out()).startsWith("Usage: pneuknow-spark predict").contains("--batch-size").doesNotContain("--batch=");
    }

    /** Every command path of the tree below {@code cli}, e.g. [predict]; the root is the empty path. */
    static List<List<String>> commandPaths(CommandLine cli, List<String> path) {
        List<List<String>> paths = new ArrayList<>(List.of(path));
        cli.getSubcommands().forEach((name, sub) -> {
            List<String> child = new ArrayList<>(path);
            child.add(name);
            paths.addAll(commandPaths(sub, child));
        });
        return paths;
    }

    @Test
    void exitCodesAndFormerNamesAreTheCores() {
        Result former = cli("predict", "--model", "m", "--list", "l.csv", "--out", "o", "--batch", "0");
        assertThat(former.code()).isEqualTo(1);
        assertThat(former.err().lines()).containsExactly(
                "warning: --batch is deprecated since 0.2.0, use --batch-size; it will be removed in 0.4.0",
                "error: --batch-size 0: must be at least 1");
        Result unknown = cli("predict", "--model", "m", "--list", "l.csv", "--out", "o", "--bach-size", "4");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown option").contains("--bach-size");
        assertThat(cli().code()).isEqualTo(2);
    }

    @Test
    void documentedSparkCommandsParseWithCurrentOptionNames() {
        List<DocCommand> commands = new ArrayList<>();
        for (Path file : DocCommands.markdownFiles(REPOSITORY)) {
            DocCommands.read(file, "./pneuknow").stream().filter(c -> c.words().contains("--spark")).forEach(commands::add);
            commands.addAll(DocCommands.read(file, "spark/pneuknow-spark"));
            commands.addAll(DocCommands.read(file, "spark/target/pneuknow-spark.jar"));
        }
        // README: experiment and predict with --spark; scale-out.md: those, the launcher, and two spark-submit runs
        assertThat(commands).hasSizeGreaterThanOrEqualTo(6);
        assertThat(commands.stream().map(c -> c.words().get(0)).distinct()).containsExactlyInAnyOrder("experiment", "predict");
        List<String> problems = commands.stream().flatMap(c -> DocCommands.problems(c, CLI).stream()).toList();
        assertThat(problems).isEmpty();
    }
}
