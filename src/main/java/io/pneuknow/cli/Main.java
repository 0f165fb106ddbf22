package io.pneuknow.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code pneuknow} command. Every command and subcommand answers {@code --help}, {@code help COMMAND} and
 * {@code --version}. Exit codes ({@link CommandLines}):
 * <ul>
 *   <li>0: done;</li>
 *   <li>1: bad input ({@link io.pneuknow.BadInputException}): one line naming the file, row, value and remedy;</li>
 *   <li>2: usage error: an unknown command or option, a missing or malformed option value;</li>
 *   <li>3: internal error (and {@code serve-bench} when requests failed); {@code --verbose} adds the stack trace.</li>
 * </ul>
 * Options renamed in a release ({@link FormerName}) keep their former name, hidden, for two releases, with a
 * warning on standard error.
 */
@Command(name = "pneuknow", scope = CommandLine.ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = PneuknowVersion.class, usageHelpAutoWidth = true,
        description = "Chest X-ray classifiers trained with expert regions as guidance (Human Knowledge Distillation).",
        subcommands = {DataCommand.class, TrainCommand.class, EvaluateCommand.class, ExperimentCommand.class,
                PredictCommand.class, ServeCommand.class, DemoCommand.class, PretrainCommand.class, ModelsCommand.class,
                BenchCommand.class, ServeBenchCommand.class, GuardCheckCommand.class, AnnotationsCommand.class, AnnotationQueueCommand.class, StudioCommand.class, RegistryCommand.class, HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {CommandLines.EXIT_OK_HELP, CommandLines.EXIT_BAD_INPUT_HELP, CommandLines.EXIT_USAGE_HELP,
                CommandLines.EXIT_INTERNAL_ERROR_HELP})
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    /** {@code pneuknow} alone: a usage error that names the commands. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "choose a command: " + String.join(", ",
                spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 bad input, 2 usage error, 3 internal error). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, writing to the given streams. */
    public static int run(PrintWriter out, PrintWriter errors, String... args) {
        return commandLine(out, errors).execute(args);
    }

    /** The whole command tree, including {@code completion}, ready to execute. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter errors) {
        CommandLine cli = new CommandLine(new Main());
        CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
        completion.getCommandSpec().name("completion").versionProvider(new PneuknowVersion());
        completion.getCommandSpec().usageMessage().description(
                "Print a bash/zsh completion script for pneuknow: source <(pneuknow completion)");
        cli.addSubcommand("completion", completion);
        return CommandLines.configure(cli, out, errors);
    }
}
