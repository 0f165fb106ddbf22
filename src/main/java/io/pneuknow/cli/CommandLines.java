package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import java.io.PrintWriter;
import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * What the command lines of pneuknow and pneuknow-spark share: the exit codes, one-line errors, and former
 * option names ({@link FormerName}) accepted with a deprecation warning.
 */
public final class CommandLines {
    /** The command did its work. */
    public static final int OK = 0;
    /** Bad input ({@link BadInputException}): a missing file, a wrong value, data that does not fit. */
    public static final int BAD_INPUT = 1;
    /** Usage error: an unknown option or command, a missing or malformed option value (picocli's parameter exceptions). */
    public static final int USAGE = 2;
    /** Internal error: anything else, a defect or a failure of the machine (out of memory, disk full). */
    public static final int INTERNAL_ERROR = 3;

    /** The exit codes as the help lists them ({@code exitCodeList} of the root commands, inherited by every command). */
    public static final String EXIT_OK_HELP = "0:done";
    public static final String EXIT_BAD_INPUT_HELP = "1:bad input (one line names the file, value and remedy)";
    public static final String EXIT_USAGE_HELP = "2:usage error (unknown command or option, missing or malformed value)";
    public static final String EXIT_INTERNAL_ERROR_HELP = "3:internal error (--verbose prints the stack trace)";

    private CommandLines() {
    }

    /** Sets up {@code cli} (the whole tree: add subcommands first) to write to the given streams, with the shared exit codes and former names. */
    public static CommandLine configure(CommandLine cli, PrintWriter out, PrintWriter err) {
        cli.setOut(out);
        cli.setErr(err);
        Map<OptionSpec, OptionSpec> formerNames = new IdentityHashMap<>(); // OptionSpec.equals compares by value
        addFormerNames(cli, formerNames);
        cli.setParameterExceptionHandler(CommandLines::usageError);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> failure(e, commandLine.getErr(), verbose(parseResult)));
        cli.setExecutionStrategy(parseResult -> {
            applyFormerNames(parseResult, formerNames);
            return new CommandLine.RunLast().execute(parseResult);
        });
        return cli;
    }

    /** The warning for an option used under its former name. */
    static String deprecation(String formerName, String name, String since) {
        String[] version = since.split("\\.");
        String removal = version[0] + "." + (Integer.parseInt(version[1]) + 2) + ".0";
        return "warning: " + formerName + " is deprecated since " + since + ", use " + name + "; it will be removed in "
                + removal;
    }

    /** Adds, in every command of the tree, a hidden option per {@link FormerName}; maps each to the option it stands for. */
    private static void addFormerNames(CommandLine cli, Map<OptionSpec, OptionSpec> formerNames) {
        CommandSpec spec = cli.getCommandSpec();
        for (OptionSpec option : new ArrayList<>(spec.options())) {
            FormerName former = option.userObject() instanceof AnnotatedElement member
                    ? member.getAnnotation(FormerName.class) : null;
            if (former != null && spec.findOption(former.value()) == null) {
                OptionSpec alias = OptionSpec.builder(former.value()).type(option.type())
                        .auxiliaryTypes(option.auxiliaryTypes()).arity(option.arity()).splitRegex(option.splitRegex())
                        .paramLabel(option.paramLabel()).hidden(true)
                        .description("Former name of " + option.longestName() + ".").build();
                spec.addOption(alias);
                formerNames.put(alias, option);
            }
        }
        cli.getSubcommands().values().forEach(sub -> addFormerNames(sub, formerNames));
    }

    /**
     * Warns once per former name used, and gives its value to the option it stands for (after parsing, so that an
     * option of an argument group reaches the group's final instance); the option's own name wins when both are given.
     */
    private static void applyFormerNames(ParseResult parseResult, Map<OptionSpec, OptionSpec> formerNames) {
        for (ParseResult level = parseResult; level != null; level = level.subcommand()) {
            Set<OptionSpec> matched = new LinkedHashSet<>(level.matchedOptions());
            for (OptionSpec alias : matched) {
                OptionSpec option = formerNames.get(alias);
                if (option == null) {
                    continue;
                }
                FormerName former = ((AnnotatedElement) option.userObject()).getAnnotation(FormerName.class);
                PrintWriter err = level.commandSpec().commandLine().getErr();
                err.println(deprecation(former.value(), option.longestName(), former.since()));
                err.flush();
                if (!level.hasMatchedOption(option)) {
                    option.setValue(alias.getValue());
                }
            }
        }
    }

    /** A usage error: one line, picocli's suggestions for a misspelt name, and where the options are listed. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        if (e instanceof MissingParameterException && !cli.getUnmatchedArguments().isEmpty()) {
            // picocli checks required options first; a misspelt option is the more likely cause, so name it
            e = new UnmatchedArgumentException(cli, cli.getUnmatchedArguments());
        }
        err.println("error: " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + cli.getCommandSpec().qualifiedName() + " --help' for its options.");
        err.flush();
        return USAGE;
    }

    /** Bad input as one line (exit 1), anything else as an internal error (exit 3); stack traces only when verbose. */
    private static int failure(Exception e, PrintWriter err, boolean verbose) {
        Throwable cause = e;
        while (!(cause instanceof BadInputException) && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (cause instanceof BadInputException bad) {
            err.println("error: " + bad.getMessage());
        } else {
            err.println("internal error: " + e + (verbose ? "" : " (run with --verbose for the stack trace)"));
        }
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return cause instanceof BadInputException ? BAD_INPUT : INTERNAL_ERROR;
    }

    /** Whether {@code --verbose} was given at any level of the command. */
    private static boolean verbose(ParseResult result) {
        for (ParseResult level = result; level != null; level = level.subcommand()) {
            if (level.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
