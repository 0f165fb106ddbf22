package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Help, version, former option names and exit codes of every command, run through {@link Main} (nothing is trained). */
class CliHelpTest {
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
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
            return new Result(code, out.toString(), err.toString(), systemErr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    /** Every command path of the tree below {@code cli}, e.g. [data, check]; the root is the empty path. */
    static List<List<String>> commandPaths(CommandLine cli, List<String> path) {
        List<List<String>> paths = new ArrayList<>(List.of(path));
        cli.getSubcommands().forEach((name, sub) -> {
            List<String> child = new ArrayList<>(path);
            child.add(name);
            paths.addAll(commandPaths(sub, child));
        });
        return paths;
    }

    static String[] args(List<String> path, String... more) {
        List<String> all = new ArrayList<>(path);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void everyCommandAnswersHelpAndVersionWithExitZeroAndNoWarnings() {
        List<List<String>> paths = commandPaths(Main.commandLine(new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())), List.of());
        assertThat(paths).contains(List.of("data", "check"), List.of("data", "split"), List.of("data", "synthetic"),
                List.of("train"), List.of("evaluate"), List.of("serve-bench"), List.of("completion"), List.of("help"));
        assertThat(paths).hasSizeGreaterThanOrEqualTo(17);
        for (List<String> path : paths) {
            String name = String.join(" ", args(List.of("pneuknow"), path.toArray(String[]::new)));
            Result help = cli(args(path, "--help"));
            assertThat(help.code()).as(name + " --help: " + help.err()).isZero();
            assertThat(help.out()).as(name).startsWith("Usage: " + name).contains("-h, --help").contains("-V, --version");
            assertThat(help.out()).as(name).doesNotContain("%n").doesNotContain("${DEFAULT-VALUE}");
            assertThat(help.err() + help.systemErr()).as(name).isEmpty();
            if (!path.isEmpty() && !path.get(0).equals("help")) {
                Result viaHelp = cli(args(List.of("help"), path.toArray(String[]::new)));
                assertThat(viaHelp.code()).as("help " + name).isZero();
                assertThat(viaHelp.out()).as("help " + name).isEqualTo(help.out());
            }
            Result version = cli(args(path, "--version"));
            assertThat(version.code()).as(name + " --version").isZero();
            assertThat(version.out().strip()).isEqualTo("pneuknow " + PneuknowVersion.NUMBER);
        }
    }

    @Test
    void helpHidesFormerNamesAndShowsDefaults() {
        Result train = cli("train", "--help");
        assertThat(train.out()).contains("--architecture=", "--input-size=", "--batch-size=", "--split-file=")
                .doesNotContain("--arch=", "--size=", "--batch=", "--split=");
        Result evaluate = cli("evaluate", "--help");
        assertThat(evaluate.out()).contains("--part=", "--max-heat-maps=N", "(default 12)", "Intervals are 95%,")
                .doesNotContain("--heatmaps", "--split=");
    }

    @Test
    void completionPrintsABashScriptWithTheCurrentNames() {
        Result completion = cli("completion");
        assertThat(completion.code()).isZero();
        assertThat(completion.out()).startsWith("#!/usr/bin/env bash").contains("complete -F")
                .contains("--architecture").contains("--max-heat-maps").doesNotContain("--arch ");
    }

    @Test
    void formerNamesWarnOnceAndStillReachTheirOption() {
        Result models = cli("models", "--classes", "7", "--architecture", "tiny_cnn", "--input-size", "64");
        assertThat(models.code()).as(models.err()).isZero();
        assertThat(models.out()).contains("input 1 x 64 x 64, 7 classes");
        assertThat(models.err().lines()).containsExactly(
                "warning: --classes is deprecated since 0.2.0, use --class-count; it will be removed in 0.4.0");
        // the option's own name wins over its former name
        Result both = cli("models", "--classes", "7", "--class-count", "5", "--architecture", "tiny_cnn", "--input-size", "64");
        assertThat(both.out()).contains("5 classes");
        assertThat(both.err().lines()).hasSize(1);

        Result synthetic = cli("data", "synthetic", "--size", "16", "--out", "unused");
        assertThat(synthetic.code()).isEqualTo(1);
        assertThat(synthetic.err().lines()).containsExactly(
                "warning: --size is deprecated since 0.2.0, use --image-size; it will be removed in 0.4.0",
                "error: synthetic data: need --image-size >= 32, at least 1 image per class and part, --unannotated-fraction"
                        + " and --cue-level in [0, 1]; got size 16, 80/20/40, 0.1, 0.7");

        // the same former name in two commands reaches each command's own option
        Result bench = cli("bench", "--quick", "--no-peer", "--size", "33");
        assertThat(bench.code()).isEqualTo(1);
        assertThat(bench.err().lines()).containsExactly(
                "warning: --size is deprecated since 0.2.0, use --input-size; it will be removed in 0.4.0",
                "error: sizes must be positive multiples of 32, got 33");

        Result predict = cli("predict", "--model", "unused", "--batch", "0", "unused.png");
        assertThat(predict.code()).isEqualTo(1);
        assertThat(predict.err()).contains("use --batch-size").contains("error: --batch-size 0: must be at least 1");
    }

    @Test
    void benchOnlyTakesTheNamesOfItsParts() {
        Result bench = cli("bench", "--quick", "--no-peer", "--only", "memory,speed");
        assertThat(bench.code()).isEqualTo(1);
        assertThat(bench.err().lines()).containsExactly("error: --only takes races, memory, leak; got speed");
    }

    @Test
    void formerNamesOfTrainingSettingsReachTheSettingsGroupInAnyOrder(@TempDir Path data) {
        // the training settings are an argument group, whose instance picocli replaces when an option of it comes
        String run = data.resolve("run").toString();
        for (String[] order : new String[][] {{"--arch", "tiny_cnn", "--size", "33", "--epochs", "1"},
                {"--epochs", "1", "--size", "33", "--arch", "tiny_cnn"}}) {
            Result r = cli(args(List.of("train", "--data", data.toString(), "--out", run), order));
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            assertThat(r.err().lines().filter(l -> l.startsWith("warning:"))).containsExactlyInAnyOrder(
                    "warning: --arch is deprecated since 0.2.0, use --architecture; it will be removed in 0.4.0",
                    "warning: --size is deprecated since 0.2.0, use --input-size; it will be removed in 0.4.0");
            assertThat(r.err()).contains("train.model.inputSize 33: must be a positive multiple of 32");
        }
        Result batch = cli("train", "--data", data.toString(), "--out", run, "--epochs", "1", "--batch", "0");
        assertThat(batch.code()).isEqualTo(1);
        assertThat(batch.err()).contains("use --batch-size").contains("train.optimisation.batchSize 0: must be at least 1");
    }

    @Test
    void theFormerAnnotationFractionOptionSetsTheRegionsKeptShare(@TempDir Path data) {
        Result r = cli("train", "--data", data.toString(), "--out", data.resolve("run").toString(), "--epochs", "1",
                "--annotation-fraction", "0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines().filter(l -> l.startsWith("warning:"))).containsExactly("warning: --annotation-fraction"
                + " is deprecated since 0.2.0, use --regions-kept-fraction; it will be removed in 0.4.0");
        assertThat(r.err()).contains("train.method.regionsKeptFraction 0.0: must be in (0, 1]");
    }

    @Test
    void exitCodesSayBadInputUsageErrorOrInternalError() {
        Result bad = cli("data", "check", "--data", "/nonexistent/pneuknow-data");
        assertThat(bad.code()).isEqualTo(CommandLines.BAD_INPUT).isEqualTo(1);
        assertThat(bad.err().strip()).startsWith("error: ").doesNotContain("\n");

        Result unknown = cli("train", "--out", "x", "--architecure", "tiny_cnn");
        assertThat(unknown.code()).isEqualTo(CommandLines.USAGE).isEqualTo(2);
        assertThat(unknown.err()).contains("error: Unknown option").contains("'--architecure'").contains("--architecture")
                .contains("Run 'pneuknow train --help'");
        // a misspelt option is named even when a required option is missing too
        Result misspelt = cli("evaluate", "--modle", "m");
        assertThat(misspelt.code()).isEqualTo(2);
        assertThat(misspelt.err()).contains("Unknown option").contains("--modle");
        assertThat(cli().code()).isEqualTo(2);
        assertThat(cli("data").err()).contains("choose a command: check, split, synthetic");
        assertThat(cli("help", "data", "nonsense").code()).isEqualTo(2);

        StringWriter err = new StringWriter();
        int internal = CommandLines.configure(new CommandLine(new Failing()), new PrintWriter(new StringWriter()),
                new PrintWriter(err, true)).execute();
        assertThat(internal).isEqualTo(CommandLines.INTERNAL_ERROR).isEqualTo(3);
        assertThat(err.toString()).startsWith("internal error: java.lang.IllegalStateException: a defect")
                .doesNotContain("\tat ");
    }

    @Test
    void evaluateRefusesAPartThatNamesNoPartBeforeReadingTheModel() {
        Result bogus = cli("evaluate", "--model", "/nonexistent/model", "--part", "holdouts");
        assertThat(bogus.code()).isEqualTo(1);
        assertThat(bogus.err().strip()).isEqualTo("error: --part 'holdouts' names no part of a split; use train, val or test"
                + " (train/training, val/valid/validation/dev, test/holdout)");
    }

    @Test
    void theVersionIsThePomsVersion() throws IOException {
        for (Path pom : List.of(Path.of("pom.xml"), Path.of("spark/pom.xml"))) {
            Matcher version = Pattern.compile("<artifactId>pneuknow(-spark)?</artifactId>\\s*<version>([^<]+)</version>")
                    .matcher(Files.readString(pom));
            assertThat(version.find()).as(pom.toString()).isTrue();
            assertThat(version.group(2)).as(pom.toString()).isIn(PneuknowVersion.NUMBER, PneuknowVersion.NUMBER + "-SNAPSHOT");
        }
    }

    /** A command whose work fails with a defect. */
    @Command(name = "failing")
    static final class Failing implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("a defect");
        }
    }
}
