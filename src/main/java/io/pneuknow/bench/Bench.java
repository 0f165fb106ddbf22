package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.explain.HeatMaps;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainingMethods;
import io.pneuknow.train.Versions;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One benchmark run (issue 7): ours against the PyTorch peer on the same files and thread count,
 * plus the HKD step, the data pipeline, prediction latency, peak memory, achieved FLOP/s and a leak
 * check; every target reported as met or not. See docs/benchmarks.md for what each row means.
 */
public final class Bench {
    /** The targets of issue 7. */
    static final double MIN_TRAIN_RATIO = 1.0;
    static final double MAX_HKD_RATIO = 1.35;
    static final double MAX_PIPELINE_RATIO = 1.05;
    /** Leak check: growth from the third to the last epoch allowed for resident memory (MiB, or 2 % if larger) and heap (MiB, or 5 %). */
    static final double LEAK_RSS_MIB = 16;
    static final double LEAK_HEAP_MIB = 8;
    static final int LEAK_SKIP_EPOCHS = 2;
    /** The models of the throughput targets, measured in {@code rounds} rounds. */
    static final List<String> TARGET_MODELS = List.of("resnet18", "resnet50");

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
     */
    public record Settings(int threads, int repeats, int rounds, List<String> models, int size, int steps, boolean quick,
                           String python, Path peerScript, boolean peer, int latencySamples, String memoryModel,
                           int memorySize, String leakModel, int leakSize, int leakSteps, int leakEpochs,
                           Double cpuGhz, Double fmaUnits, Path work, String command) {
    }

    private final Settings s;
    private final PrintStream progress;
    private final BenchReport.Builder report = new BenchReport.Builder();

    public Bench(Settings settings, PrintStream progress) {
        this.s = settings;
        this.progress = progress;
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

    public BenchReport run() throws IOException, InterruptedException {
        EngineThreads.set(s.threads());
        Files.createDirectories(s.work());
        machine();
        settings();
        BenchData data = BenchData.generate(s.work().resolve("data-" + s.size()), s.size(), s.steps());
        int classes = data.dataset().classes().size();
        PeerScript peer = new PeerScript(s.python(), s.peerScript(), s.work().resolve("peer-logs"));
        String peerMissing = s.peer() ? peer.unavailable() : "peer disabled (--no-peer)";
        if (peerMissing != null) {
            report.notes.add("peer skipped: " + peerMissing);
        } else {
            JsonNode v = peer.versions();
            report.machine.put("peer", "bench/peer_train.py on " + s.python() + ", torch " + v.path("torch").asText()
                    + ", torchvision " + v.path("torchvision").asText());
        }
        CpuPeak peak = CpuPeak.of(s.threads(), s.cpuGhz(), s.fmaUnits());
        report.machine.put("peak FLOP/s", peak.statement());

        Map<String, double[]> oursSeconds = new LinkedHashMap<>();
        Map<String, JsonNode> peerRuns = new LinkedHashMap<>();
        String first = s.models().get(0);
        for (String model : s.models()) {
            boolean withPeer = peerMissing == null && peerSupports(model);
            if (peerMissing == null && !withPeer) {
                report.notes.add("peer has no " + model + " (torchvision resnet*/convnext* only)");
            }
            compare(data, model, model.equals(first), withPeer ? peer : null, classes, peak, oursSeconds, peerRuns);
        }
        report.row("flops.peak", "peak of " + s.threads() + " cores", "GFLOP/s", peak.flopsPerSecond() / 1e9,
                peak.clockSource());
        for (String model : List.of("resnet18", "resnet50")) {
            String id = "target.train." + model;
            String label = "train " + model + " ours / peer";
            if (!s.models().contains(model)) {
                report.notMeasured(id, label, ">=", MIN_TRAIN_RATIO, model + " not in --architecture");
            } else if (!peerRuns.containsKey(model)) {
                report.notMeasured(id, label, ">=", MIN_TRAIN_RATIO, "no peer run");
            } else {
                report.target(id, label + (s.size() == 224 ? "" : " (at " + s.size() + " px, not 224)"),
                        trainRatios.get(model), ">=", MIN_TRAIN_RATIO, null);
            }
        }

        pipeline(data, first, classes, oursSeconds.get(first), peerRuns.get(first));
        latency(s.work().resolve("ours-" + first));
        peakMemory(peerMissing == null ? peer : null, classes, peerRuns);
        leak();
        return report.build(Instant.now().toString(), s.command());
    }

    /** Ours / peer training throughput of each model, as the median of the rounds' ratios. */
    private final Map<String, Double> trainRatios = new LinkedHashMap<>();

    /**
     * Ours against the peer for one model, in {@code rounds} rounds (targets' models and the first
     * model; others 1) whose order alternates (ours first, then the peer first), because the speed of
     * a shared or virtual machine drifts over minutes: every ratio is taken within a round, from runs
     * minutes apart, and the reported ratio is the median of the rounds' ratios. For the first model
     * each round also runs the HKD student right after the baseline, for ours and for the peer.
     */
    private void compare(BenchData data, String model, boolean first, PeerScript peer, int classes, CpuPeak peak,
                         Map<String, double[]> oursSeconds, Map<String, JsonNode> peerRuns)
            throws IOException, InterruptedException {
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
                    say("training throughput: ours, " + model + " at " + s.size() + " px (round " + (round + 1) + ")");
                    TrainTimer.StageTimes ours = TrainTimer.run(trainConfig(TrainingMethods.BASELINE.name(), model, s.size(), s.threads(),
                            1 + s.repeats()), data, s.work().resolve("ours-" + model + suffix), null).get(TrainingMethods.BASELINE.finalStage());
                    double[] seconds = ours.after(1);
                    source = ours.source();
                    for (double x : seconds) {
                        oursSecondsAll.add(x);
                        oursRates.add(images / x);
                    }
                    oursMedian = Stats.median(seconds);
                    if (first) {
                        say("HKD student step: ours, " + model + " (round " + (round + 1) + ")");
                        TrainTimer.StageTimes student = TrainTimer.run(trainConfig(TrainingMethods.HKD.name(), model, s.size(),
                                s.threads(), 1 + s.repeats()), data, s.work().resolve("ours-hkd-" + model + suffix),
                                null).get(TrainingMethods.HKD.finalStage());
                        double[] studentSeconds = student.after(1);
                        studentSource = student.source();
                        for (double x : studentSeconds) {
                            oursHkdRates.add(images / x);
                        }
                        hkdRatios.add(Stats.median(studentSeconds) / oursMedian);
                    }
                } else if (peer != null) {
                    say("training throughput: peer, " + model + " (round " + (round + 1) + ")");
                    JsonNode p = peer.run(peerArgs(data, model, TrainingMethods.BASELINE.name(), classes), timeout());
                    peerRuns.put(model, p);
                    double[] rates = doubles(p.path("images_per_s"));
                    for (double x : rates) {
                        peerRates.add(x);
                    }
                    peerMedian = Stats.median(rates);
                    if (first) {
                        say("HKD student step: peer, " + model + " (round " + (round + 1) + ")");
                        double[] hkdRates = doubles(peer.run(peerArgs(data, model, TrainingMethods.HKD.name(), classes), timeout())
                                .path("images_per_s"));
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

    private void pipeline(BenchData data, String model, int classes, double[] trainRunSeconds, JsonNode peerRun) {
        say("data pipeline");
        List<BenchData.Prepared> prepared = data.train().stream().map(data::prepare).toList();
        PipelineBench bench = new PipelineBench(prepared, s.size());
        int passes = Math.max(1, s.repeats());
        report.row("pipeline.decode", "decode + ROI mask + resize (once per image in ours), 1 thread", "images/s",
                PipelineBench.decodeRate(data, passes), null);
        report.row("pipeline.augment", "augment + preprocess, 1 thread", "images/s", bench.augmentRate(false, passes),
                "per epoch; paired weak augmentation, normalisation to CHW floats");
        report.row("pipeline.augment_roi", "augment + preprocess with ROI view (HKD), 1 thread", "images/s",
                bench.augmentRate(true, passes), null);
        report.row("pipeline.full_chain", "decode + augment + preprocess (the peer's per-image work), 1 thread",
                "images/s", bench.fullChainRate(data, false), null);
        say("data pipeline in the training loop: " + model);
        PipelineBench.LoopResult loop = bench.loop(Architecture.fromCliName(model), classes, s.repeats());
        int n = loop.realSeconds().length;
        double[] share = new double[n];
        double[] ratio = new double[n];
        for (int i = 0; i < n; i++) {
            share[i] = 100 * loop.waitSeconds()[i] / loop.realSeconds()[i];
            ratio[i] = loop.realSeconds()[i] / loop.readySeconds()[i];
        }
        report.row("pipeline.wait_share", "share of a training step waiting for data: ours, " + model, "%", share,
                "bench loop (the StageTrainer step from public pieces), loader thread one batch ahead");
        report.row("pipeline.real_vs_ready", "epoch with the data pipeline / fed ready-made tensors: ours, " + model,
                "ratio", ratio, "alternating epochs, same batches");
        report.target("target.pipeline", "epoch with data pipeline / ready tensors (" + model + ", " + s.threads()
                + " threads)", Stats.median(ratio), "<=", MAX_PIPELINE_RATIO, null);
        report.row("pipeline.loop_vs_trainrun", "bench loop / TrainRun throughput: " + model, "ratio",
                Stats.median(trainRunSeconds) / Stats.median(loop.realSeconds()),
                "near 1 when the bench loop still matches train.StageTrainer");
        if (peerRun != null) {
            double[] peerShare = doubles(peerRun.path("data_wait_share"));
            for (int i = 0; i < peerShare.length; i++) {
                peerShare[i] *= 100;
            }
            report.row("pipeline.peer_wait_share", "share of a training step waiting for data: peer, " + model, "%",
                    peerShare, "time in next(DataLoader iterator)");
        }
    }

    private void latency(Path modelDir) throws IOException {
        say("prediction latency");
        try (ModelBundle.Loaded loaded = ModelBundle.load(modelDir)) {
            Predictor predictor = new Predictor(loaded);
            HeatMaps heatMaps = new HeatMaps(loaded);
            Path file = anyImage(s.work().resolve("data-" + s.size()));
            int warmup = 3;
            double[] plain = new double[s.latencySamples()];
            double[] withMap = new double[s.latencySamples()];
            for (int i = -warmup; i < s.latencySamples(); i++) {
                long t0 = System.nanoTime();
                GreyImage image = ImageFiles.read(file);
                predictor.probabilities(List.of(image));
                long t1 = System.nanoTime();
                GreyImage image2 = ImageFiles.read(file);
                float[] p = predictor.probabilities(List.of(image2))[0];
                heatMaps.gradCam(image2, Predictor.argmax(p));
                long t2 = System.nanoTime();
                if (i >= 0) {
                    plain[i] = (t1 - t0) / 1e6;
                    withMap[i] = (t2 - t1) / 1e6;
                }
            }
            String model = loaded.card().architecture() + " " + loaded.card().preprocessing().inputSize() + " px";
            report.row("latency.predict.p50", "predict one image p50 (" + model + ")", "ms",
                    Stats.percentile(plain, 50), "decode + preprocess + forward + softmax, model.Predictor");
            report.row("latency.predict.p95", "predict one image p95 (" + model + ")", "ms", Stats.percentile(plain, 95),
                    s.latencySamples() + " samples");
            report.row("latency.heatmap.p50", "predict + Grad-CAM heat map p50 (" + model + ")", "ms",
                    Stats.percentile(withMap, 50), "explain.HeatMaps.gradCam of the predicted class");
            report.row("latency.heatmap.p95", "predict + Grad-CAM heat map p95 (" + model + ")", "ms",
                    Stats.percentile(withMap, 95), s.latencySamples() + " samples");
        }
    }

    private void peakMemory(PeerScript peer, int classes, Map<String, JsonNode> peerRuns)
            throws IOException, InterruptedException {
        String model = s.memoryModel();
        int size = s.memorySize();
        say("peak memory: " + model + " at " + size + " px (child JVM)");
        Path dataDir = s.work().resolve("data-" + size);
        BenchData data = Files.exists(dataDir.resolve("labels.csv")) ? BenchData.load(dataDir, size)
                : BenchData.generate(dataDir, size, s.steps());
        long hwm = -1;
        for (String line : child("peak", dataDir, model, size, 1)) {
            if (line.startsWith("VmHWM_kB ")) {
                hwm = Long.parseLong(line.substring(9).trim());
            }
        }
        if (hwm <= 0) {
            throw new IOException("the memory probe printed no VmHWM; log in " + s.work().resolve("probe-peak.log"));
        }
        report.row("memory.peak." + model, "peak resident memory, training " + model + " " + size + " px batch 16: ours",
                "MiB", hwm / 1024.0, "VmHWM of a child JVM running one epoch of TrainRun");
        if (peer != null && peerSupports(model)) {
            JsonNode r = size == s.size() && peerRuns.containsKey(model) ? peerRuns.get(model)
                    : peer.run(peerArgs(data, model, TrainingMethods.BASELINE.name(), classes, size, 0, 1), timeout());
            report.row("memory.peak." + model + ".peer", "peak resident memory, training " + model + " " + size
                    + " px batch 16: peer (main process)", "MiB", r.path("max_rss_kb").asDouble() / 1024.0,
                    String.format(Locale.ROOT, "ru_maxrss; its DataLoader worker: %.0f MiB",
                            r.path("max_rss_children_kb").asDouble() / 1024));
        }
    }

    private void leak() throws IOException, InterruptedException {
        say("leak check: " + s.leakEpochs() + " HKD student epochs of " + s.leakModel() + " at " + s.leakSize()
                + " px (child JVM)");
        Path dataDir = s.work().resolve("leak-data-" + s.leakSize());
        BenchData.generate(dataDir, s.leakSize(), s.leakSteps());
        double[] rss = new double[s.leakEpochs()];
        double[] heap = new double[s.leakEpochs()];
        int seen = 0;
        for (String line : child("leak", dataDir, s.leakModel(), s.leakSize(), s.leakEpochs())) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 6 && f[0].equals("epoch")) {
                int epoch = Integer.parseInt(f[1]);
                rss[epoch] = Long.parseLong(f[3]) / 1024.0;
                heap[epoch] = Long.parseLong(f[5]) / 1048576.0;
                seen++;
            }
        }
        if (seen != rss.length) {
            throw new IOException("the leak probe reported " + seen + " of " + rss.length + " epochs; log in "
                    + s.work().resolve("probe-leak.log"));
        }
        String slopes = String.format(Locale.ROOT, "slope %.2f MiB/epoch over all %d epochs", Stats.slope(rss), rss.length);
        report.row("leak.rss.first", "leak check: resident memory after student epoch 1", "MiB", rss[0],
                "child JVM, HKD (teacher forward + student step)");
        report.row("leak.rss.last", "leak check: resident memory after student epoch " + rss.length, "MiB",
                rss[rss.length - 1], slopes);
        report.row("leak.heap.first", "leak check: heap after GC, student epoch 1", "MiB", heap[0], null);
        report.row("leak.heap.last", "leak check: heap after GC, student epoch " + heap.length, "MiB",
                heap[heap.length - 1], String.format(Locale.ROOT, "slope %.3f MiB/epoch", Stats.slope(heap)));
        int from = Math.min(LEAK_SKIP_EPOCHS, rss.length - 1);
        // resident memory: the floor of the later half of the epochs after the skipped ones against the floor of
        // the earlier half (tcmalloc hands cached blocks back in bursts, so single epochs swing by 100 MiB while a
        // leak raises the floor); the heap after GC is steady, so its last epoch is compared with the third
        int middle = from + (rss.length - from) / 2;
        double earlierFloor = min(rss, from, middle);
        double rssGrowth = min(rss, middle, rss.length) - earlierFloor;
        double heapGrowth = heap[heap.length - 1] - heap[from];
        StringBuilder series = new StringBuilder(slopes).append("; per epoch:");
        for (double r : rss) {
            series.append(' ').append(Math.round(r));
        }
        report.target("target.leak.native", "no native growth: lowest resident memory of student epochs " + (middle + 1)
                + "-" + rss.length + " minus that of epochs " + (from + 1) + "-" + middle + " (MiB)", rssGrowth, "<=",
                Math.max(LEAK_RSS_MIB, 0.02 * earlierFloor), series.toString());
        report.target("target.leak.heap", "no heap growth: heap after GC, student epoch " + (from + 1) + " to "
                + heap.length + " (MiB)", heapGrowth, "<=", Math.max(LEAK_HEAP_MIB, 0.05 * heap[from]), null);
    }

    private static double min(double[] values, int from, int to) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = from; i < to; i++) {
            m = Math.min(m, values[i]);
        }
        return m;
    }

    /** Runs {@link MemoryProbe} in a child JVM with this JVM's class path and heap settings; its output lines. */
    private List<String> child(String mode, Path dataDir, String model, int size, int epochs)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Xm") || arg.startsWith("-Dai.djl")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                MemoryProbe.class.getName(), mode, dataDir.toString(), model, Integer.toString(size),
                Integer.toString(s.threads()), Integer.toString(epochs), s.work().resolve("probe-" + mode).toString()));
        Path log = s.work().resolve("probe-" + mode + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        if (!p.waitFor(timeout(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            throw new IOException("the " + mode + " probe timed out; log in " + log);
        }
        List<String> lines = Files.readAllLines(log);
        if (p.exitValue() != 0) {
            throw new IOException("the " + mode + " probe failed (exit " + p.exitValue() + "): "
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
        return lines;
    }

    private List<String> peerArgs(BenchData data, String model, String mode, int classes) {
        return peerArgs(data, model, mode, classes, s.size(), 1, s.repeats());
    }

    private List<String> peerArgs(BenchData data, String model, String mode, int classes, int size, int warmup,
                                  int epochs) {
        return List.of("--data", data.dir().toAbsolutePath().toString(), "--model", model, "--size",
                Integer.toString(size), "--num-classes", Integer.toString(classes), "--threads",
                Integer.toString(s.threads()), "--workers", "1", "--warmup-epochs", Integer.toString(warmup),
                "--epochs", Integer.toString(epochs), "--mode", mode);
    }

    static boolean peerSupports(String model) {
        return model.startsWith("resnet") && !model.endsWith("_half") || model.equals("convnext_tiny")
                || model.equals("convnext_small");
    }

    private int timeout() {
        return s.quick() ? 600 : 7200;
    }

    private void machine() {
        report.machine.put("cpu", CpuPeak.of(1, null, null).model());
        report.machine.put("cores", Runtime.getRuntime().availableProcessors());
        report.machine.put("threads", s.threads());
        report.machine.put("java", System.getProperty("java.version"));
        report.machine.put("versions", Versions.all().toString());
        report.machine.put("OMP_WAIT_POLICY", String.valueOf(System.getenv("OMP_WAIT_POLICY")));
        report.machine.put("malloc (ours)", ProcMemory.allocator());
        report.machine.put("malloc (peer)", PeerScript.allocator(System.getenv()));
    }

    private void settings() {
        report.settings.put("quick", s.quick());
        report.settings.put("models", String.join(",", s.models()));
        report.settings.put("size", s.size());
        report.settings.put("batch", BenchData.BATCH);
        report.settings.put("steps per epoch", s.steps());
        report.settings.put("warm-up epochs", 1);
        report.settings.put("repeats", s.repeats());
        report.settings.put("memory", s.memoryModel() + "@" + s.memorySize());
        report.settings.put("leak", s.leakModel() + "@" + s.leakSize() + " x" + s.leakEpochs());
    }

    private static double[] perSecond(int images, double[] seconds) {
        double[] out = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = images / seconds[i];
        }
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private void say(String what) {
        progress.println("bench: " + what);
        progress.flush();
    }

    /** The first PNG image of a bench data folder (for the latency rows). */
    private static Path anyImage(Path dataDir) throws IOException {
        Path images = dataDir.resolve("images");
        try (var files = Files.list(images)) {
            return files.filter(f -> f.toString().endsWith(".png")).sorted().findFirst()
                    .orElseThrow(() -> new IOException("no PNG in " + images));
        }
    }
}
