package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.List;

/**
 * What every benchmark of one bench run shares: the settings, the report its rows and targets go to, the progress
 * stream, and how the peer script is called (its arguments, the time it is given).
 */
final class BenchRun {
    private final Bench.Settings settings;
    private final BenchReport.Builder report;
    private final PrintStream progress;

    BenchRun(Bench.Settings settings, BenchReport.Builder report, PrintStream progress) {
        this.settings = settings;
        this.report = report;
        this.progress = progress;
    }

    /** What to measure. */
    Bench.Settings settings() {
        return settings;
    }

    /** Where rows, targets and notes are collected. */
    BenchReport.Builder report() {
        return report;
    }

    /** Tells the user what is being measured now (one progress line). */
    void say(String what) {
        progress.println("bench: " + what);
        progress.flush();
    }

    /** Seconds a peer run or a child JVM may take. */
    int timeout() {
        return settings.quick() ? 600 : 7200;
    }

    /** The peer's arguments at the bench's size: one warm-up epoch, then {@code repeats} timed ones. */
    List<String> peerArgs(BenchData data, String model, String mode, int classes) {
        return peerArgs(data, model, mode, classes, settings.size(), 1, settings.repeats());
    }

    /** The peer's arguments: the data folder, model, size, classes, threads, one loader worker, epochs and mode. */
    List<String> peerArgs(BenchData data, String model, String mode, int classes, int size, int warmup, int epochs) {
        return List.of("--data", data.dir().toAbsolutePath().toString(), "--model", model, "--size",
                Integer.toString(size), "--num-classes", Integer.toString(classes), "--threads",
                Integer.toString(settings.threads()), "--workers", "1", "--warmup-epochs", Integer.toString(warmup),
                "--epochs", Integer.toString(epochs), "--mode", mode);
    }

    /** Whether the peer script has this architecture (torchvision's resnets and two ConvNeXts). */
    static boolean peerSupports(String model) {
        return model.startsWith("resnet") && !model.endsWith("_half") || model.equals("convnext_tiny")
                || model.equals("convnext_small");
    }

    /** A JSON array of numbers as doubles. */
    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
