package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pneuknow models}: every architecture with its parameter count, last feature map and multiply-adds
 * (convolutions and linear layers, per image) at a given input size.
 */
@Command(name = "models", description = {
        "List the architectures with parameters, feature-map shape and multiply-adds at an input size.",
        "Multiply-adds count convolutions and linear layers per image (not norms, activations or pooling)."})
final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--input-size", defaultValue = "224",
            description = "Input height and width, a multiple of 32 (default ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--channels", defaultValue = "1", description = "Input channels, 1 or 3 (default ${DEFAULT-VALUE}).")
    int channels;

    @FormerName(value = "--classes", since = "0.2.0")
    @Option(names = "--class-count", defaultValue = "1000",
            description = "Classes of the head (default ${DEFAULT-VALUE}, as ImageNet models).")
    int classCount;

    @Option(names = "--architecture", split = ",",
            description = "Only these architectures (comma-separated; default all).")
    List<String> architectures;

    @Override
    public Integer call() {
        if (inputSize <= 0 || inputSize % Architecture.FEATURE_STRIDE != 0) {
            throw new BadInputException("--input-size must be a positive multiple of " + Architecture.FEATURE_STRIDE
                    + ", got " + inputSize);
        }
        if (channels != 1 && channels != 3) {
            throw new BadInputException("--channels must be 1 or 3, got " + channels);
        }
        if (classCount < 1) {
            throw new BadInputException("--class-count must be at least 1, got " + classCount);
        }
        List<Architecture> archs = new ArrayList<>();
        if (architectures == null || architectures.isEmpty()) {
            archs.addAll(List.of(Architecture.values()));
        } else {
            for (String name : architectures) {
                try {
                    archs.add(Architecture.fromCliName(name.trim()));
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(e.getMessage());
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "input %d x %d x %d, %d classes%n", channels, inputSize, inputSize, classCount);
        out.printf(Locale.ROOT, "%-16s %14s %18s %16s%n", "architecture", "parameters", "feature map", "multiply-adds");
        for (Architecture arch : archs) {
            Architectures.Summary s = Architectures.summarize(arch, classCount, channels, inputSize);
            String features = s.featureMap().get(1) + " x " + s.featureMap().get(2) + " x " + s.featureMap().get(3);
            out.printf(Locale.ROOT, "%-16s %,14d %18s %16s%n", arch.cliName(), s.parameters(), features,
                    gigaOrMega(s.multiplyAdds()));
        }
        out.flush();
        return 0;
    }

    /** 4.09 G, 811.3 M, 52.1 k. */
    static String gigaOrMega(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f G", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f M", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f k", n / 1e3);
    }
}
