package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.train.TrainingMethods;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Training throughput, ours against the peer, per model (images/s, achieved FLOP/s); for the first model also
 * the HKD student step against the baseline step. Reports issue 7's training targets.
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
    /** Our epoch seconds per model, every round's. */
    private final Map<String, double[]> oursSeconds = new LinkedHashMap<>();
    /** The peer's last run per model. */
    private final Map<String, JsonNode> peerRuns = new LinkedHashMap<>();
    /** Ours / peer training throughput of each model, as the median of the rounds' ratios. */
    private final Map<String, Double> trainRatios = new LinkedHashMap<>();

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

    /** The peer's runs by model (only models the peer ran). */
    Map<String, JsonNode> peerRuns() {
        return peerRuns;
    }

    /**
     * Ours against the peer for one model, in {@code rounds} rounds (targets' models and the first
     * model; others 1) whose order alternates (ours first, then the peer first), because the speed of
     * a shared or virtual machine drifts over minutes: every ratio is taken within a round, from runs
     * minutes apart, and the reported ratio is the median of the rounds' ratios. For the first model
     * each round also runs the HKD student right after the baseline, for ours and for the peer.
     *
     * @param peer the peer script; null to measure ours only
     */
    void compare(String model, boolean first, PeerScript peer) throws IOException, InterruptedException {
        Bench.Settings s = run.settings();
        BenchReport.Builder report = run.report();
        int images = data.train().size();
        int rounds = first || TARGET_MODELS.contains(model) ? s.rounds() : 1;
        List<Double> oursRates = new ArrayList<>();
        List<Double> peerRates = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> oursHkdRates = new ArrayList<>();
        List<Double> peerHkdRates = new ArrayList<>();
        List<Double> hkdRatios = new ArrayList<>();
        List<Double> peerHkdRatios = new ArrayList<>();
        List<Double> oursSecondsAll = new ArrayList<>();
        String source = "";
        String studentSource = "";
        for (int round = 0; round < rounds; round++) {
            String suffix = round == 0 ? "" : "-round" + (round + 1);
            double oursMedian = 0;
            double peerMedian = 0;
            for (boolean oursTurn : round % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                if (oursTurn) {
                    run.say("training throughput: ours, " + model + " at " + s.size() + " px (round " + (round + 1) + ")");
                    TrainTimer.StageTimes ours = TrainTimer.run(Bench.trainConfig(TrainingMethods.BASELINE.name(), model,
                            s.size(), s.threads(), 1 + s.repeats()), data, s.work().resolve("ours-" + model + suffix),
                            null).get(TrainingMethods.BASELINE.finalStage());
                    double[] seconds = ours.after(1);
                    source = ours.source();
                    for (double x : seconds) {
                        oursSecondsAll.add(x);
                        oursRates.add(images / x);
                    }
                    oursMedian = Stats.median(seconds);
                    if (first) {
                        run.say("HKD student step: ours, " + model + " (round " + (round + 1) + ")");
                        TrainTimer.StageTimes student = TrainTimer.run(Bench.trainConfig(TrainingMethods.HKD.name(), model,
                                s.size(), s.threads(), 1 + s.repeats()), data, s.work().resolve("ours-hkd-" + model + suffix),
                                null).get(TrainingMethods.HKD.finalStage());
                        double[] studentSeconds = student.after(1);
                        studentSource = student.source();
                        for (double x : studentSeconds) {
                            oursHkdRates.add(images / x);
                        }
                        hkdRatios.add(Stats.median(studentSeconds) / oursMedian);
                    }
                } else if (peer != null) {
                    run.say("training throughput: peer, " + model + " (round " + (round + 1) + ")");
                    JsonNode p = peer.run(run.peerArgs(data, model, TrainingMethods.BASELINE.name(), classes), run.timeout());
                    peerRuns.put(model, p);
                    double[] rates = BenchRun.doubles(p.path("images_per_s"));
                    for (double x : rates) {
                        peerRates.add(x);
                    }
                    peerMedian = Stats.median(rates);
                    if (first) {
                        run.say("HKD student step: peer, " + model + " (round " + (round + 1) + ")");
                        double[] hkdRates = BenchRun.doubles(peer.run(run.peerArgs(data, model, TrainingMethods.HKD.name(),
                                classes), run.timeout()).path("images_per_s"));
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
        oursSeconds.put(model, array(oursSecondsAll));
        double[] rate = array(oursRates);
        report.row("train." + model + ".ours", "train " + model + " " + s.size() + " px: ours", "images/s", rate,
                "TrainRun, batch 16, Adam; " + source + "; " + rounds + " round(s)");
        double macs = Architectures.summarize(Architecture.fromCliName(model), classes, 1, s.size()).multiplyAdds();
        report.row("flops." + model + ".ours", "achieved " + model + ": ours", "GFLOP/s", scaled(rate, 6 * macs / 1e9),
                String.format(Locale.ROOT, "6 x %.3g multiply-adds per image (forward 1x, backward 2x)", macs));
        report.row("flops." + model + ".ours_share", "achieved " + model + ": ours, share of peak", "%",
                Stats.median(rate) * 6 * macs / peak.flopsPerSecond() * 100, null);
        if (peer != null) {
            double[] peerRate = array(peerRates);
            report.row("train." + model + ".peer", "train " + model + " " + s.size() + " px: peer", "images/s",
                    peerRate, "bench/peer_train.py, DataLoader 1 worker");
            trainRatios.put(model, Stats.median(array(ratios)));
            report.row("train." + model + ".ratio", "train " + model + ": ours / peer", "ratio", array(ratios),
                    "median of the rounds' ratios (each round: both sides, order alternating)");
            report.row("flops." + model + ".peer", "achieved " + model + ": peer", "GFLOP/s",
                    scaled(peerRate, 6 * macs / 1e9), null);
        }
        if (first) {
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

    /** The training targets: ours / peer of each target model, or why it was not measured. */
    void reportTargets() {
        Bench.Settings s = run.settings();
        for (String model : TARGET_MODELS) {
            String id = "target.train." + model;
            String label = "train " + model + " ours / peer";
            if (!s.models().contains(model)) {
                run.report().notMeasured(id, label, ">=", MIN_TRAIN_RATIO, model + " not in --architecture");
            } else if (!peerRuns.containsKey(model)) {
                run.report().notMeasured(id, label, ">=", MIN_TRAIN_RATIO, "no peer run");
            } else {
                run.report().target(id, label + (s.size() == 224 ? "" : " (at " + s.size() + " px, not 224)"),
                        trainRatios.get(model), ">=", MIN_TRAIN_RATIO, null);
            }
        }
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
