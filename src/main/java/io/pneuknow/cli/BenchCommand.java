package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.bench.Bench;
import io.pneuknow.bench.BenchReport;
import io.pneuknow.bench.LaunchConditions;
import io.pneuknow.model.Architecture;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pneuknow bench}: ours against the PyTorch peer script, with the targets of issue 7 (docs/benchmarks.md). */
@Command(name = "bench", sortOptions = false, description = {
        "Measure training throughput against a plain PyTorch script, and more.",
        "Ours against bench/peer_train.py on /usr/bin/python3: the HKD step, the data pipeline, prediction latency, peak "
                + "memory, FLOP/s and a leak check; prints a table of medians and writes bench.json and bench.md into "
                + "--out. See docs/benchmarks.md.",
        "The race is fair by default (issue 21): both sides run as child processes with the same allocator "
                + "(LD_PRELOAD), the same OMP/MKL thread variables and thread count, pinned to the same CPUs (taskset), "
                + "in alternating rounds; ours / peer is decided by the 95 %% t interval of the rounds' ratios, and the "
                + "report records the conditions each side was seen to run under."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "bench-results", description = "Folder for bench.json and bench.md (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", defaultValue = "0", description = "Threads for ours and the peer, 0 for all cores (default).")
    int threads;

    @Option(names = "--rounds", description = "Rounds of ours/peer runs for resnet18, resnet50 and the first model, in alternating "
            + "order; each ratio is taken within a round, and the target is decided by the 95 %% t interval of the rounds' "
            + "ratios (default 5; quick 1).")
    Integer rounds;

    @Option(names = "--allocator", paramLabel = "tcmalloc|system|both", description = "The malloc both sides run with: "
            + "tcmalloc (LD_PRELOAD of the tcmalloc this JVM has, else the installed one), system (glibc's), or both: "
            + "the tcmalloc rows first (primary, with the targets), then glibc's for the target models (secondary). "
            + "Default both; quick tcmalloc; glibc's alone where tcmalloc is not installed.")
    String allocator;

    @Option(names = "--cpus", paramLabel = "LIST", description = "The CPUs both sides are pinned to (taskset -c), e.g. 0,1 "
            + "(default: the first --threads CPUs this process may use).")
    String cpus;

    @Option(names = "--max-busy", defaultValue = "10", paramLabel = "PERCENT", description = "Busy share of the pinned CPUs, "
            + "watched for 3 s before each round, above which the machine does not count as idle (default ${DEFAULT-VALUE}).")
    double maxBusy;

    @Option(names = "--require-idle", description = "Stop when the machine is not idle before a round (default: warn, and "
            + "say so in the report).")
    boolean requireIdle;

    @Option(names = "--repeats", description = "Timed epochs per measurement after one warm-up epoch; medians over them (default 3; quick 1).")
    Integer repeats;

    @FormerName(value = "--models", since = "0.2.0")
    @Option(names = "--architecture", split = ",", description = "Architectures to compare (default resnet18,resnet50,convnext_tiny; quick resnet18). The first also gives the HKD, pipeline and latency rows.")
    List<String> architectures;

    @FormerName(value = "--size", since = "0.2.0")
    @Option(names = "--input-size", description = "Input size in pixels (default 224; quick 64).")
    Integer inputSize;

    @Option(names = "--steps", description = "Batches of 16 per epoch (default 6; quick 3).")
    Integer steps;

    @Option(names = "--quick", description = "Tiny sizes and steps, for a smoke test (well under a minute on an idle machine).")
    boolean quick;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch and torchvision for the peer (default ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--peer-script", description = "The peer script (default bench/peer_train.py of the repository).")
    Path peerScript;

    @Option(names = "--no-peer", description = "Measure ours only.")
    boolean noPeer;

    @Option(names = "--latency-samples", description = "Single-image predictions timed (default 30; quick 5).")
    Integer latencySamples;

    @FormerName(value = "--memory-model", since = "0.2.0")
    @Option(names = "--memory-architecture", description = "Architecture of the peak-memory row (default resnet50 at --memory-input-size; quick: the first one).")
    String memoryArchitecture;

    @FormerName(value = "--memory-size", since = "0.2.0")
    @Option(names = "--memory-input-size", description = "Input size of the peak-memory row (default 224; quick: --input-size).")
    Integer memoryInputSize;

    @FormerName(value = "--leak-model", since = "0.2.0")
    @Option(names = "--leak-architecture", description = "Architecture of the leak check (default resnet18; quick tiny_cnn).")
    String leakArchitecture;

    @FormerName(value = "--leak-size", since = "0.2.0")
    @Option(names = "--leak-input-size", description = "Input size of the leak check (default 128; quick 64).")
    Integer leakInputSize;

    @Option(names = "--leak-epochs", defaultValue = "22", description = "HKD student epochs of the leak check: the first 2 "
            + "are warm-up, the slope of the rest decides (default ${DEFAULT-VALUE}, at least 10).")
    int leakEpochs;

    @Option(names = "--cpu-ghz", description = "Clock for the peak FLOP/s (default: from /proc/cpuinfo, cpufreq or BogoMIPS).")
    Double cpuGhz;

    @Option(names = "--fma-units", description = "FMA units per core for the peak FLOP/s (default 2; 1 on AMD Zen 3/4 with AVX-512).")
    Double fmaUnits;

    @Option(names = "--only", split = ",", paramLabel = "PART", description = "Run only these parts: races (training "
            + "throughput with the HKD, FLOP/s, pipeline and latency rows), memory (the peak-memory rows: one epoch of "
            + "each side at --steps batches), leak (the leak check). Default: all.")
    List<String> only;

    @Option(names = "--keep-work", description = "Keep the temporary folder (data, runs, logs) and print its path.")
    boolean keepWork;

    @Override
    public Integer call() throws IOException, InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads < 0) {
            throw new BadInputException("--threads must be 0 (all cores) or more, got " + threads);
        }
        List<String> archs = architectures != null && !architectures.isEmpty() ? architectures.stream().map(String::trim).toList()
                : quick ? List.of("resnet18") : List.of("resnet18", "resnet50", "convnext_tiny");
        int side = inputSize != null ? inputSize : quick ? 64 : 224;
        String memModel = memoryArchitecture != null ? memoryArchitecture : quick ? archs.get(0) : "resnet50";
        String leak = leakArchitecture != null ? leakArchitecture : quick ? "tiny_cnn" : "resnet18";
        for (String a : Stream.concat(archs.stream(), Stream.of(memModel, leak)).toList()) {
            try {
                Architecture.fromCliName(a);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
        }
        int memSize = memoryInputSize != null ? memoryInputSize : quick ? side : 224;
        int leakSide = leakInputSize != null ? leakInputSize : quick ? 64 : 128;
        for (int s : new int[] {side, memSize, leakSide}) {
            if (s < 32 || s % 32 != 0) {
                throw new BadInputException("sizes must be positive multiples of 32, got " + s);
            }
        }
        int reps = repeats != null ? repeats : quick ? 1 : 3;
        int stepCount = steps != null ? steps : quick ? 3 : 6;
        int roundCount = rounds != null ? rounds : quick ? 1 : Bench.FINAL_ROUNDS;
        if (reps < 1 || stepCount < 1 || roundCount < 1 || leakEpochs < 10) {
            throw new BadInputException("--repeats, --rounds and --steps must be at least 1, --leak-epochs at least 10 (8 "
                    + "epochs after the 2 of warm-up)");
        }
        if (!(maxBusy > 0 && maxBusy <= 100)) {
            throw new BadInputException("--max-busy must be a percentage above 0 and at most 100, got " + maxBusy);
        }
        List<String> parts = only == null ? List.of() : only.stream().map(String::trim).toList();
        for (String part : parts) {
            if (!Bench.PARTS.contains(part)) {
                throw new BadInputException("--only takes " + String.join(", ", Bench.PARTS) + "; got " + part);
            }
        }
        if (allocator != null) {
            allocator = allocator.trim();
        }
        int threadCount = threads > 0 ? threads : cores;
        List<LaunchConditions> races = Bench.races(allocator, quick, cpus, threadCount);
        Path work = Files.createTempDirectory("pneuknow-bench");
        Bench.Settings settings = new Bench.Settings(threadCount, reps, roundCount, archs, side, stepCount, quick,
                python, Bench.locatePeerScript(peerScript), !noPeer,
                latencySamples != null ? latencySamples : quick ? 5 : 30, memModel, memSize, leak, leakSide,
                quick ? 1 : 2, leakEpochs, cpuGhz, fmaUnits, work, "pneuknow " + String.join(" ",
                spec.commandLine().getParseResult().originalArgs()), races, maxBusy / 100, requireIdle, parts);
        PrintWriter w = spec.commandLine().getOut();
        try {
            BenchReport report = new Bench(settings, new PrintStream(System.err, true)).run();
            report.write(out);
            w.print(report.toMarkdown());
            w.println("written: " + out.resolve("bench.json") + ", " + out.resolve("bench.md"));
            w.flush();
            return 0;
        } finally {
            if (keepWork) {
                w.println("work folder kept: " + work);
                w.flush();
            } else {
                deleteTree(work);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
