package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.Versions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * One benchmark run (issue 7): ours against the PyTorch peer on the same files and thread count,
 * plus the HKD step, the data pipeline, prediction latency, peak memory, achieved FLOP/s and a leak
 * check; every target reported as met or not. See docs/benchmarks.md for what each row means.
 *
 * <p>This class runs the benchmarks in order and writes the machine and settings; each kind is a class of its
 * own, holding its targets: {@link ThroughputBench} (training and the HKD step, ours against the peer, both as
 * child processes under the same {@link LaunchConditions}), {@link PipelineBench}, {@link LatencyBench},
 * {@link PeakMemoryBench} and {@link LeakBench} (child JVMs, {@link MemoryProbe}).
 */
public final class Bench {
    /** Rounds of the final measurement (issue 21): fewer are reported, but not as a final decision. */
    public static final int FINAL_ROUNDS = 5;

    /**
     * What to measure.
     *
     * @param threads engine threads for ours and torch.set_num_threads for the peer (resolved, > 0)
     * @param repeats timed epochs per measurement after one warm-up epoch (medians over them)
     * @param rounds rounds of ours-then-peer / peer-then-ours runs for the target models and the
     *     first model (ratios are taken within a round, then their median)
     * @param models architectures whose training throughput is compared (the first also gives the
     *     HKD step, the pipeline loop and the prediction latency)
     * @param steps batches of 16 per epoch
     * @param memoryModel architecture whose peak resident memory is measured at {@code memorySize}
     * @param leakModel architecture of the leak check (HKD student, {@code leakEpochs} epochs of
     *     {@code leakSteps} batches at {@code leakSize})
     * @param races the launch conditions of each allocator raced, the primary first (issue 21)
     * @param maxBusy the pinned CPUs' busy share (0..1) above which a round is not on an idle machine
     * @param requireIdle stop the bench (instead of warning) when a round would start on a busy machine
     * @param only the parts to run ({@link #PARTS}); empty for all of them
     */
    public record Settings(int threads, int repeats, int rounds, List<String> models, int size, int steps, boolean quick,
                           String python, Path peerScript, boolean peer, int latencySamples, String memoryModel,
                           int memorySize, String leakModel, int leakSize, int leakSteps, int leakEpochs,
                           Double cpuGhz, Double fmaUnits, Path work, String command, List<LaunchConditions> races,
                           double maxBusy, boolean requireIdle, List<String> only) {
        /** Whether the part ({@link #PARTS}) is run: every part when {@code only} is empty. */
        public boolean runs(String part) {
            return only.isEmpty() || only.contains(part);
        }
    }

    /**
     * The parts {@code --only} may name: {@code races} (the training races with the HKD step and the FLOP/s, and the
     * data pipeline and prediction latency rows, which use the races' runs), {@code memory} (the peak-memory rows) and
     * {@code leak} (the leak check).
     */
    public static final List<String> PARTS = List.of("races", "memory", "leak");

    /**
     * The launch conditions of an {@code --allocator} mode ("tcmalloc", "system", "both"; null: both, or in quick
     * mode tcmalloc, falling back to glibc's malloc where tcmalloc is not installed) for both sides, pinned to
     * {@code cpus} (null: the first {@code threads} CPUs this process may use; not pinned without taskset).
     */
    public static List<LaunchConditions> races(String allocator, boolean quick, String cpus, int threads) {
        String allowed = LaunchConditions.allowedCpus();
        String pinned = !LaunchConditions.tasksetAvailable() || allowed == null ? null
                : LaunchConditions.cpus(cpus, allowed, threads);
        if (pinned == null && cpus != null) {
            throw new io.pneuknow.BadInputException("--cpus " + cpus + ": taskset is not installed (or /proc is missing); "
                    + "apt-get install util-linux, or leave out --cpus");
        }
        String mode = allocator != null ? allocator : quick ? "tcmalloc" : "both";
        return LaunchConditions.of(mode, allocator != null, LaunchConditions.tcmalloc(), pinned, threads);
    }

    private final Settings s;
    private final BenchReport.Builder report = new BenchReport.Builder();
    private final BenchRun run;

    /** A bench run of these settings, writing its progress lines to {@code progress}. */
    public Bench(Settings settings, PrintStream progress) {
        this.s = settings;
        this.run = new BenchRun(settings, report, progress);
    }

    /** The training settings of every bench run: Adam lr 1e-4, batch 16, weak augmentation, no dropout, 1 channel, one loader thread. */
    static TrainConfig trainConfig(String method, String arch, int size, int threads, int epochs) {
        return TrainConfig.builder().method(method).architecture(arch).inputSize(size).dropout(0f).epochs(epochs)
                .teacherEpochs(1).kdEpochs(1000).learningRate(1e-4f).batchSize(BenchData.BATCH).augment("weak").seed(1L)
                .threads(threads).loaderThreads(1).build();
    }

    /** The peer script: the one given, else bench/peer_train.py of the working directory or of the jar's repository. */
    public static Path locatePeerScript(Path given) {
        return PeerScript.locate(given);
    }

    /** Runs every benchmark in turn (throughput, pipeline, latency, peak memory, leak) and returns the report. */
    public BenchReport run() throws IOException, InterruptedException {
        EngineThreads.set(s.threads());
        Files.createDirectories(s.work());
        machine();
        settings();
        BenchData data = BenchData.generate(s.work().resolve("data-" + s.size()), s.size(), s.steps());
        int classes = data.dataset().classes().size();
        PeerScript peer = new PeerScript(s.python(), s.peerScript(), s.work().resolve("peer-logs"));
        LaunchConditions primary = s.races().get(0);
        String peerMissing = s.peer() ? peer.unavailable(primary) : "peer disabled (--no-peer)";
        if (peerMissing != null) {
            report.notes.add("peer skipped: " + peerMissing);
        } else {
            JsonNode v = peer.versions(primary);
            report.machine.put("peer", s.peerScript() + " on " + s.python() + " (" + peer.pythonVersion() + "), torch "
                    + v.path("torch").asText() + ", torchvision " + v.path("torchvision").asText());
            report.machine.put("peer script SHA-256", PeerScript.frozenStatement(peer.sha256()));
        }
        CpuPeak peak = CpuPeak.of(s.threads(), s.cpuGhz(), s.fmaUnits());
        report.machine.put("peak FLOP/s", peak.statement());

        ThroughputBench throughput = new ThroughputBench(run, data, classes, peak);
        String first = s.models().get(0);
        if (s.runs("races")) {
            for (String model : s.models()) {
                boolean withPeer = peerMissing == null && BenchRun.peerSupports(model);
                if (peerMissing == null && !withPeer) {
                    report.notes.add("peer has no " + model + " (torchvision resnet*/convnext* only)");
                }
                throughput.compare(model, model.equals(first), withPeer ? peer : null, primary, true);
            }
            // the secondary rows (glibc's malloc on both sides under --allocator both): training throughput of the
            // target models, after every primary row
            for (LaunchConditions secondary : s.races().subList(1, s.races().size())) {
                for (String model : s.models()) {
                    if (ThroughputBench.TARGET_MODELS.contains(model) && peerMissing == null
                            && BenchRun.peerSupports(model)) {
                        throughput.compare(model, false, peer, secondary, false);
                    }
                }
            }
            report.row("flops.peak", "peak of " + s.threads() + " cores", "GFLOP/s", peak.flopsPerSecond() / 1e9,
                    peak.clockSource());
            throughput.reportTargets();
            PipelineBench.report(run, data, first, classes, throughput.oursSeconds(first),
                    throughput.peerRuns().get(first));
            LatencyBench.measure(run, s.work().resolve("ours-" + first), s.work().resolve("data-" + s.size()));
        }
        if (s.runs("memory")) {
            PeakMemoryBench.measure(run, peerMissing == null ? peer : null, classes, throughput);
        }
        if (s.runs("leak")) {
            LeakBench.measure(run);
        }
        run.reportConditions();
        return report.build(Instant.now().toString(), s.command());
    }

    private void machine() {
        report.machine.put("cpu", CpuPeak.of(1, null, null).model());
        report.machine.put("cores", Runtime.getRuntime().availableProcessors());
        report.machine.put("threads", s.threads());
        report.machine.put("java", System.getProperty("java.version"));
        report.machine.put("versions", Versions.all().toString());
        report.machine.put("OMP_WAIT_POLICY", String.valueOf(System.getenv("OMP_WAIT_POLICY")));
        report.machine.put("malloc (the bench's own JVM: pipeline and latency rows)", ProcMemory.allocator());
    }

    private void settings() {
        report.settings.put("quick", s.quick());
        report.settings.put("models", String.join(",", s.models()));
        report.settings.put("size", s.size());
        report.settings.put("batch", BenchData.BATCH);
        report.settings.put("steps per epoch", s.steps());
        report.settings.put("warm-up epochs", 1);
        report.settings.put("repeats", s.repeats());
        report.settings.put("rounds", s.rounds());
        report.settings.put("allocators", String.join(" then ", s.races().stream().map(LaunchConditions::allocator).toList()));
        report.settings.put("max busy", Math.round(s.maxBusy() * 100) + "%" + (s.requireIdle() ? " (required)" : " (warned)"));
        report.settings.put("memory", s.memoryModel() + "@" + s.memorySize());
        report.settings.put("leak", s.leakModel() + "@" + s.leakSize() + " x" + s.leakEpochs());
        report.settings.put("parts", s.only().isEmpty() ? "all" : String.join(",", s.only()));
    }
}
