package io.pneuknow.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The commands of a program in the fenced code blocks of Markdown files: continuation lines ({@code \}) joined,
 * {@code NAME="..."} variables of the same block expanded, comments and what follows a pipe or redirection left out.
 * Checked against a command tree by parsing only (picocli's model); nothing is run.
 */
public final class DocCommands {
    /** Shell words that end a command. */
    private static final Set<String> ENDS = Set.of("|", "||", "&&", ";", ">", ">>", "<", "2>&1", "2>", "&", "$");

    /** One command as written in a document: where, and its words after the program's name. */
    public record DocCommand(Path file, int line, List<String> words) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + String.join(" ", words);
        }
    }

    private DocCommands() {
    }

    /** README.md and every Markdown file under docs/ of the repository at {@code root}. */
    public static List<Path> markdownFiles(Path root) {
        List<Path> files = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** Every command of {@code program} (a word such as {@code ./pneuknow}) in the fenced blocks of {@code markdown}. */
    public static List<DocCommand> read(Path markdown, String program) {
        List<String> lines;
        try {
            lines = Files.readAllLines(markdown);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<DocCommand> commands = new ArrayList<>();
        Map<String, List<String>> variables = new HashMap<>();
        boolean fenced = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).stripLeading().startsWith("```")) {
                fenced = !fenced;
                variables.clear();
                continue;
            }
            if (!fenced) {
                continue;
            }
            int first = i;
            StringBuilder logical = new StringBuilder(lines.get(i));
            while (logical.toString().endsWith("\\") && i + 1 < lines.size()) {
                logical.setLength(logical.length() - 1);
                logical.append(' ').append(lines.get(++i).strip());
            }
            List<String> words = words(logical.toString());
            if (words.size() == 1 && words.get(0).matches("[A-Z_]+=.*")) {
                String[] assignment = words.get(0).split("=", 2);
                variables.put(assignment[0], List.of(assignment[1].strip().split("\\s+")));
                continue;
            }
            for (int w = 0; w < words.size(); w++) {
                if (!words.get(w).equals(program)) {
                    continue;
                }
                List<String> args = new ArrayList<>();
                for (int a = w + 1; a < words.size() && !ENDS.contains(words.get(a)); a++) {
                    String word = words.get(a);
                    args.addAll(word.startsWith("$") && variables.containsKey(word.substring(1))
                            ? variables.get(word.substring(1)) : List.of(word));
                }
                commands.add(new DocCommand(markdown, first + 1, args));
            }
        }
        return commands;
    }

    /** Shell words: quotes removed, a word starting with # ends the line. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else if (c == '#' && word == null) {
                break;
            } else {
                word = word == null ? new StringBuilder() : word;
                if (c == '\'' || c == '"') {
                    quote = c;
                } else {
                    word.append(c);
                }
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    /**
     * What is wrong with {@code command} for the tree {@code cli} makes (a fresh one per call, as parsing fills it):
     * a parse error (unknown command or option, missing or malformed value), an option used by a former name, or a
     * command that needs a subcommand; empty when it parses.
     */
    public static List<String> problems(DocCommand command, Supplier<CommandLine> cli) {
        ParseResult parsed;
        try {
            parsed = cli.get().parseArgs(command.words().toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return List.of(command + ": " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        ParseResult last = parsed;
        for (ParseResult level = parsed; level != null; level = level.subcommand()) {
            for (OptionSpec option : level.matchedOptions()) {
                if (option.hidden()) {
                    problems.add(command + ": " + option.longestName() + " is a former name (" + option.description()[0] + ")");
                }
            }
            last = level;
        }
        if (!last.commandSpec().subcommands().isEmpty() && !last.isUsageHelpRequested() && !last.isVersionHelpRequested()) {
            problems.add(command + ": '" + last.commandSpec().qualifiedName() + "' needs a subcommand");
        }
        return problems;
    }

    /** A tree built by {@code factory} writing nowhere, for {@link #problems}. */
    public static Supplier<CommandLine> quiet(java.util.function.BiFunction<PrintWriter, PrintWriter, CommandLine> factory) {
        return () -> factory.apply(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }
}
