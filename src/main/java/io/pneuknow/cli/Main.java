package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code pneuknow} command: maps bad input to one line and exit code 1, and hides stack traces unless --verbose. */
@Command(name = "pneuknow", mixinStandardHelpOptions = true, version = "pneuknow 0.1.0",
        description = "Chest X-ray classifiers trained with expert regions as guidance (Human Knowledge Distillation).",
        subcommands = {DataCommand.class, TrainCommand.class, EvaluateCommand.class, ExperimentCommand.class,
                PredictCommand.class, ServeCommand.class, DemoCommand.class, PretrainCommand.class, ModelsCommand.class,
                BenchCommand.class, ServeBenchCommand.class, GuardCheckCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 bad input, 2 internal error). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, writing to the given streams. */
    public static int run(PrintWriter out, PrintWriter errors, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(errors);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"))
                    || deepVerbose(parseResult);
            Throwable cause = e;
            while (!(cause instanceof BadInputException) && cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            if (cause instanceof BadInputException bad) {
                err.println("error: " + bad.getMessage());
                if (verbose) {
                    e.printStackTrace(err);
                }
                err.flush();
                return 1;
            }
            err.println("internal error: " + e + (verbose ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return 2;
        });
        return cli.execute(args);
    }

    private static boolean deepVerbose(CommandLine.ParseResult result) {
        for (CommandLine.ParseResult sub = result; sub != null; sub = sub.subcommand()) {
            if (sub.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
