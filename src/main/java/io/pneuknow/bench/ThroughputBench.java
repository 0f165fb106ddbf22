package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Training throughput, ours against the peer, per model (images/s, achieved FLOP/s); for the first model also
 * the HKD student step against the baseline step. Reports issue 7's training targets, decided as issue 21 asks.
 *
 * <p>The race (issue 21): both sides are child processes started the same way ({@link LaunchConditions}: the same
 * allocator, thread variables and pinned CPUs), ours a child JVM ({@link MemoryProbe} running {@link TrainTimer}),
 * the peer {@code bench/peer_train.py}; the order alternates every round; each round's ratio is taken within the
 * round, and the target is decided by the 95 % t interval of the rounds' ratios ({@link Stats#ratioInterval}). The
 * rows of the first allocator of {@code --allocator} are primary and carry the targets; those of a second one
 * (glibc's malloc under {@code both}) are secondary, with ids and labels that say so.
 */
final class ThroughputBench {
    /** Target: ours / peer training throughput at least this. */
    static final double MIN_TRAIN_RATIO = 1.0;
    /** Target: HKD student step / baseline step at most this. */
    static final double MAX_HKD_RATIO = 1.35;
    /** The models of the throughput targets, measured in {@code rounds} rounds. */
    static final List<String> TARGET_MODELS = List.of("resnet18", "resnet50");

    private final BenchRun run;
    private final BenchData data;
    private final int classes;
    private final CpuPeak peak;
    /** Our epoch seconds per model (primary allocator), every round's. */
    private final Map<String, double[]> oursSeconds = new LinkedHashMap<>();
    /** The peer's last run per model (primary allocator). */
    private final Map<String, JsonNode> peerRuns = new LinkedHashMap<>();
    /** Ours / peer training throughput of each model (primary allocator), over the rounds. */
    private final Map<String, Stats.RatioInterval> trainRatios = new LinkedHashMap<>();
    /** The process trees' memory of every baseline run, by model (primary allocator), ours and the peer's. */
    private final Map<String, List<ProcessTree.Memory>> oursMemory = new LinkedHashMap<>();
    private final Map<String, List<ProcessTree.Memory>> peerMemory = new LinkedHashMap<>();

    ThroughputBench(BenchRun run, BenchData data, int classes, CpuPeak peak) {
        this.run = run;
        this.data = data;
        this.classes = classes;
        this.peak = peak;
    }

    /** Our epoch seconds of a measured model. */
    double[] oursSeconds(String model) {
        return oursSeconds.get(model);
    }

    /** The peer's runs by model (only models the peer ran, primary allocator). */
    Map<String, JsonNode> peerRuns() {
        return peerRuns;
    }

    /** Ours / peer training throughput of a raced model (primary allocator) over the rounds; null when not raced. */
    Stats.RatioInterval ratio(String model) {
        return trainRatios.get(model);
    }

    /** Our process tree's memory in every baseline run of a model (primary allocator); empty when none. */
    List<ProcessTree.Memory> oursMemory(String model) {
        return oursMemory.getOrDefault(model, List.of());
    }

    /** The peer's process tree's memory in every baseline run of a model (primary allocator); empty when none. */
    List<ProcessTree.Memory> peerMemory(String model) {
        return peerMemory.getOrDefault(model, List.of());
    }

    /**
     * Ours against the peer for one model under one allocator, in {@code rounds} rounds (targets' models and the
     * first model; others 1) whose order alternates (ours first, then the peer first), because the speed of a
     * shared or virtual machine drifts over minutes. Each round starts with an idle check of the pinned CPUs. For
     * the first model under the primary allocator each round also runs the HKD student right after the baseline,
     * for ours and for the peer.
     *
     * @param peer the peer script; null to measure ours only
     * @param primary whether these are the primary rows (the first allocator of --allocator)
     */
    void compare(String model, boolean first, PeerScript peer, LaunchConditions conditions, boolean primary)
            throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        BenchReport.Builder report = run.report();
        int images = data.train().size();
        int rounds = first || TARGET_MODELS.contains(model) ? s.rounds() : 1;
        boolean hkd = first && primary;
        String idSuffix = primary ? "" : "." + key(conditions);
        String labelSuffix = " [" + conditions.allocator() + " both sides" + (primary ? "" : ", secondary") + "]";
        String folderSuffix = primary ? "" : "-" + key(conditions);
        List<Double> oursRates = new ArrayList<>();
        List<Double> peerRates = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> oursHkdRates = new ArrayList<>();
        List<Double> peerHkdRates = new ArrayList<>();
        List<Double> hkdRatios = new ArrayList<>();
        List<Double> peerHkdRatios = new ArrayList<>();
        List<Double> oursSecondsAll = new ArrayList<>();
        List<ProcessTree.Memory> oursTrees = new ArrayList<>();
        List<ProcessTree.Memory> peerTrees = new ArrayList<>();
        String source = "";
        String studentSource = "";
        for (int round = 0; round < rounds; round++) {
            String suffix = folderSuffix + (round == 0 ? "" : "-round" + (round + 1));
            run.idleCheck(model + " " + conditions.allocator() + " round " + (round + 1));
            double oursMedian = 0;
            double peerMedian = 0;
            for (boolean oursTurn : round % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                if (oursTurn) {
                    run.say("training throughput: ours, " + model + " at " + s.size() + " px, " + conditions.allocator()
                            + " (round " + (round + 1) + ")");
                    Ours ours = ours(TrainingMethods.BASELINE.name(), model, conditions, "ours-" + model + suffix);
                    oursTrees.add(ours.memory);
                    source = ours.source;
                    for (double x : ours.seconds) {
                        oursSecondsAll.add(x);
                        oursRates.add(images / x);
                    }
                    oursMedian = Stats.median(ours.seconds);
                    if (hkd) {
                        run.say("HKD student step: ours, " + model + " (round " + (round + 1) + ")");
                        Ours student = ours(TrainingMethods.HKD.name(), model, conditions, "ours-hkd-" + model + suffix);
                        studentSource = student.source;
                        for (double x : student.seconds) {
                            oursHkdRates.add(images / x);
                        }
                        hkdRatios.add(Stats.median(student.seconds) / oursMedian);
                    }
                } else if (peer != null) {
                    run.say("training throughput: peer, " + model + ", " + conditions.allocator() + " (round "
                            + (round + 1) + ")");
                    PeerScript.Run p = peer.run(run.peerArgs(data, model, TrainingMethods.BASELINE.name(), classes),
                            conditions, run.timeout());
                    run.observed("peer", conditions, p.memory(), "torch threads " + p.json().path("threads").asText());
                    peerTrees.add(p.memory());
                    double[] rates = positive(BenchRun.doubles(p.json().path("images_per_s")), "the peer's images/s");
                    if (primary) {
                        peerRuns.put(model, p.json());
                    }
                    for (double x : rates) {
                        peerRates.add(x);
                    }
                    peerMedian = Stats.median(rates);
                    if (hkd) {
                        run.say("HKD student step: peer, " + model + " (round " + (round + 1) + ")");
                        PeerScript.Run h = peer.run(run.peerArgs(data, model, TrainingMethods.HKD.name(), classes),
                                conditions, run.timeout());
                        run.observed("peer", conditions, h.memory(), "torch threads " + h.json().path("threads").asText());
                        double[] hkdRates = positive(BenchRun.doubles(h.json().path("images_per_s")), "the peer's HKD images/s");
                        for (double x : hkdRates) {
                            peerHkdRates.add(x);
                        }
                        peerHkdRatios.add(peerMedian / Stats.median(hkdRates));
                    }
                }
            }
            if (peer != null) {
                ratios.add(images / oursMedian / peerMedian);
            }
        }
        double[] rate = array(oursRates);
        report.row("train." + model + ".ours" + idSuffix, "train " + model + " " + s.size() + " px: ours" + labelSuffix,
                "images/s", rate, "TrainRun in a child JVM, batch 16, Adam; " + source + "; " + rounds + " round(s)");
        report.row("memory.tree." + model + ".ours" + idSuffix, "peak memory of the process tree, training " + model
                + " " + s.size() + " px: ours" + labelSuffix, "MiB", peaks(oursTrees), treeNote(oursTrees));
        double macs = Architectures.summarize(Architecture.fromCliName(model), classes, 1, s.size()).multiplyAdds();
        if (primary) {
            oursSeconds.put(model, array(oursSecondsAll));
            oursMemory.put(model, oursTrees);
            report.row("flops." + model + ".ours", "achieved " + model + ": ours", "GFLOP/s", scaled(rate, 6 * macs / 1e9),
                    String.format(Locale.ROOT, "6 x %.3g multiply-adds per image (forward 1x, backward 2x)", macs));
            report.row("flops." + model + ".ours_share", "achieved " + model + ": ours, share of peak", "%",
                    Stats.median(rate) * 6 * macs / peak.flopsPerSecond() * 100, null);
        }
        if (peer != null) {
            double[] peerRate = array(peerRates);
            report.row("train." + model + ".peer" + idSuffix, "train " + model + " " + s.size() + " px: peer"
                    + labelSuffix, "images/s", peerRate, "bench/peer_train.py, DataLoader 1 worker");
            report.row("memory.tree." + model + ".peer" + idSuffix, "peak memory of the process tree, training "
                    + model + " " + s.size() + " px: peer" + labelSuffix, "MiB", peaks(peerTrees), treeNote(peerTrees));
            Stats.RatioInterval interval = Stats.ratioInterval(array(ratios));
            report.row("train." + model + ".ratio" + idSuffix, "train " + model + ": ours / peer" + labelSuffix, "ratio",
                    array(ratios), "per round (both sides, order alternating); geometric mean " + interval.describe());
            if (primary) {
                trainRatios.put(model, interval);
                peerMemory.put(model, peerTrees);
                report.row("flops." + model + ".peer", "achieved " + model + ": peer", "GFLOP/s",
                        scaled(peerRate, 6 * macs / 1e9), null);
            }
        }
        if (hkd) {
            report.row("hkd." + model + ".ours", "HKD student " + model + ": ours", "images/s", array(oursHkdRates),
                    "teacher forward on the ROI image included; every sample has an ROI view; " + studentSource);
            double hkdRatio = Stats.median(array(hkdRatios));
            report.row("hkd." + model + ".ratio", "HKD student step / baseline step: ours, " + model, "ratio",
                    array(hkdRatios), "epoch time, same data and thread count; per round, student run right after baseline");
            report.target("target.hkd", "HKD student step / baseline step (" + model + ")", hkdRatio, "<=",
                    MAX_HKD_RATIO, null);
            if (peer != null) {
                report.row("hkd." + model + ".peer", "HKD student " + model + ": peer", "images/s",
                        array(peerHkdRates), null);
                report.row("hkd." + model + ".ours_vs_peer", "HKD student " + model + ": ours / peer", "ratio",
                        Stats.median(array(oursHkdRates)) / Stats.median(array(peerHkdRates)), null);
                report.row("hkd." + model + ".peer_ratio", "HKD student step / baseline step: peer, " + model, "ratio",
                        array(peerHkdRatios), null);
            }
        }
    }

    /** One run of ours in a child JVM: the timed epochs' seconds (after the warm-up epoch), their source, its tree. */
    private record Ours(double[] seconds, String source, ProcessTree.Memory memory) {
    }

    private Ours ours(String method, String model, LaunchConditions conditions, String folder)
            throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        Path out = s.work().resolve(folder);
        ChildRun.Result r = MemoryProbe.inChildJvm(run, conditions, folder, method, data.dir().toAbsolutePath(), model,
                s.size(), 1 + s.repeats(), out);
        String line = MemoryProbe.value(r, "seconds");
        if (line == null) {
            throw new IOException("our child JVM printed no epoch seconds; log in " + s.work().resolve("probe-" + folder + ".log"));
        }
        double[] all = java.util.Arrays.stream(line.split("\\s+")).mapToDouble(Double::parseDouble).toArray();
        double[] timed = new TrainTimer.StageTimes(method, all, "").after(1);
        positive(timed, "our epoch seconds");
        run.observed("ours", conditions, r.memory(), "engine threads " + MemoryProbe.value(r, "engine_threads"));
        return new Ours(timed, MemoryProbe.value(r, "source"), r.memory());
    }

    /** The values, when there is at least one and every one is positive and finite; else an IOException (a side did no work). */
    static double[] positive(double[] values, String what) throws IOException {
        if (values.length == 0) {
            throw new IOException(what + ": none (the run timed no epoch)");
        }
        for (double v : values) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new IOException(what + ": " + v + " is not a positive finite number");
            }
        }
        return values;
    }

    /** The training targets: ours / peer of each target model, decided by its interval, or why it was not measured. */
    void reportTargets() {
        Bench.Settings s = run.settings();
        for (String model : TARGET_MODELS) {
            String id = "target.train." + model;
            String label = "train " + model + " ours / peer [" + run.primary().allocator() + " both sides]";
            if (!s.models().contains(model)) {
                run.report().notMeasured(id, label, ">=", MIN_TRAIN_RATIO, model + " not in --architecture");
            } else if (!peerRuns.containsKey(model)) {
                run.report().notMeasured(id, label, ">=", MIN_TRAIN_RATIO, "no peer run");
            } else {
                Stats.RatioInterval ratio = trainRatios.get(model);
                run.report().atLeast(id, label + (s.size() == 224 ? "" : " (at " + s.size() + " px, not 224)"), ratio,
                        MIN_TRAIN_RATIO, ratio.n() < Bench.FINAL_ROUNDS ? "fewer than " + Bench.FINAL_ROUNDS
                                + " rounds: not a final decision (docs/benchmarks.md, issue 21)" : null);
            }
        }
    }

    /** "tcmalloc" or "glibc", for ids and folders. */
    static String key(LaunchConditions conditions) {
        return conditions.preload() == null ? "glibc" : "tcmalloc";
    }

    /** Each run's peak of the summed VmRSS of its tree, MiB. */
    static double[] peaks(List<ProcessTree.Memory> trees) {
        return trees.stream().mapToDouble(ProcessTree.Memory::peakRssSumMiB).toArray();
    }

    /** The note of a tree-memory row: the method, and the summed VmHWM bound. */
    static String treeNote(List<ProcessTree.Memory> trees) {
        double[] hwm = trees.stream().mapToDouble(ProcessTree.Memory::hwmSumMiB).toArray();
        int processes = trees.stream().mapToInt(m -> m.members().size()).max().orElse(0);
        double[] anon = trees.stream().mapToDouble(m -> m.peakAnonSumKb() / 1024.0).toArray();
        double[] file = trees.stream().mapToDouble(m -> m.peakFileSumKb() / 1024.0).toArray();
        return String.format(Locale.ROOT, "per run: peak of the sum of VmRSS over the process tree (%d process(es)), "
                + "sampled every %d ms; upper bound (sum of each process's VmHWM) median %.0f MiB; at the peak, "
                + "anonymous %.0f MiB and mapped files %.0f MiB (medians of RssAnon and RssFile sums)", processes,
                ChildRun.SAMPLE_MILLIS, Stats.median(hwm), Stats.median(anon), Stats.median(file));
    }

    private static double[] array(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double[] scaled(double[] values, double factor) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] * factor;
        }
        return out;
    }
}
