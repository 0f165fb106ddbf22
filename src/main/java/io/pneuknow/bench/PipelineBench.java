package io.pneuknow.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.Gradients;
import io.pneuknow.train.Adam;
import io.pneuknow.train.Losses;
import io.pneuknow.transform.AugmentPreset;
import io.pneuknow.transform.AugmentedPair;
import io.pneuknow.transform.PairedAugmenter;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.transform.RoiMask;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The data pipeline on its own, and its cost inside a training loop.
 *
 * <p>Rates (images/s on one thread): decode + ROI mask + resize (what training does once per image);
 * paired augmentation + preprocessing per epoch, for the image alone (baseline) and with the ROI
 * view (HKD: ROI image = augmented image x augmented mask, from the same draw); and the whole chain
 * per image, decode included (what the peer's DataLoader worker does every epoch).
 *
 * <p>The loop: train.StageTrainer and train.BatchLoader are package-private and have no timing hook,
 * so this class runs the same training step from the public pieces (model.Gradients.zero, a forward
 * pass in training mode under a GradientCollector, train.Losses.classification, backward,
 * train.Adam.step) with a loader thread one batch ahead (as BatchLoader with one loader thread, the
 * default), or fed ready-made tensors (the same batches, built before the epoch's clock starts).
 * Real and ready epochs alternate after one warm-up epoch; the bench also reports this loop's
 * throughput against the TrainRun's so that a drift between the two shows. {@link #report} measures all of it
 * for a bench run and holds issue 7's pipeline target.
 */
final class PipelineBench {
    /** Target: an epoch with the data pipeline / fed ready-made tensors at most this. */
    static final double MAX_PIPELINE_RATIO = 1.05;

    private final List<BenchData.Prepared> prepared;
    private final Preprocessor preprocessor;
    private final PairedAugmenter augmenter = new PairedAugmenter(AugmentPreset.WEAK);
    private final long seed = 1;

    PipelineBench(List<BenchData.Prepared> prepared, int size) {
        this.prepared = prepared;
        this.preprocessor = Preprocessor.defaults(size, 1);
    }

    /**
     * Measures the pipeline's rates and the training loop of {@code model} with and without it; reports the rows and
     * issue 7's pipeline target.
     *
     * @param trainRunSeconds our TrainRun's epoch seconds for the model, to compare the bench loop with
     * @param peerRun the peer's run of the model (its data wait share); null when none
     */
    static void report(BenchRun run, BenchData data, String model, int classes, double[] trainRunSeconds,
                       JsonNode peerRun) {
        Bench.Settings s = run.settings();
        BenchReport.Builder report = run.report();
        run.say("data pipeline");
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
        run.say("data pipeline in the training loop: " + model);
        LoopResult loop = bench.loop(Architecture.fromCliName(model), classes, s.repeats());
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
            double[] peerShare = BenchRun.doubles(peerRun.path("data_wait_share"));
            for (int i = 0; i < peerShare.length; i++) {
                peerShare[i] *= 100;
            }
            report.row("pipeline.peer_wait_share", "share of a training step waiting for data: peer, " + model, "%",
                    peerShare, "time in next(DataLoader iterator)");
        }
    }

    /** Images/s of decode + ROI mask + resize on one thread. */
    static double decodeRate(BenchData data, int passes) {
        List<Sample> samples = data.train();
        long start = System.nanoTime();
        for (int p = 0; p < passes; p++) {
            for (Sample s : samples) {
                data.prepare(s);
            }
        }
        return passes * samples.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** Images/s of augmentation + preprocessing on one thread; {@code withRoi} adds the ROI view. */
    double augmentRate(boolean withRoi, int passes) {
        long start = System.nanoTime();
        for (int p = 0; p < passes; p++) {
            for (int i = 0; i < prepared.size(); i++) {
                sampleTensors(prepared.get(i), p, i, withRoi);
            }
        }
        return passes * prepared.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** Images/s of decode + ROI mask + resize + augmentation + preprocessing on one thread (the peer's per-image work). */
    double fullChainRate(BenchData data, boolean withRoi) {
        long start = System.nanoTime();
        for (int i = 0; i < prepared.size(); i++) {
            sampleTensors(data.prepare(prepared.get(i).sample()), 0, i, withRoi);
        }
        return prepared.size() / ((System.nanoTime() - start) / 1e9);
    }

    private float[][] sampleTensors(BenchData.Prepared s, int epoch, int index, boolean withRoi) {
        AugmentedPair pair = augmenter.augment(s.image(), s.mask(), seed, epoch, index);
        float[] raw = preprocessor.toTensor(pair.image());
        if (!withRoi) {
            return new float[][] {raw};
        }
        // as train.BatchLoader: the ROI view reuses the image's draw (the same image and mask)
        GreyImage roi = RoiMask.apply(pair.image(), pair.mask());
        return new float[][] {raw, preprocessor.toTensor(roi)};
    }

    /** One batch in host memory. */
    private record HostBatch(int size, float[] x, int[] labels) {
    }

    private HostBatch build(List<Integer> indices, int epoch) {
        int per = preprocessor.inputSize() * preprocessor.inputSize();
        float[] x = new float[indices.size() * per];
        int[] labels = new int[indices.size()];
        for (int k = 0; k < indices.size(); k++) {
            int i = indices.get(k);
            System.arraycopy(sampleTensors(prepared.get(i), epoch, i, false)[0], 0, x, k * per, per);
            labels[k] = prepared.get(i).sample().classIndex();
        }
        return new HostBatch(indices.size(), x, labels);
    }

    private List<List<Integer>> batches(int epoch) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < prepared.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed * 1000 + epoch));
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i += BenchData.BATCH) {
            out.add(order.subList(i, Math.min(order.size(), i + BenchData.BATCH)));
        }
        return out;
    }

    /** Per timed pair: the real-pipeline epoch's seconds and waiting seconds, and the ready-tensor epoch's seconds. */
    record LoopResult(double[] realSeconds, double[] waitSeconds, double[] readySeconds, int images) {
    }

    /** One warm-up epoch, then {@code pairs} x (real-pipeline epoch, ready-tensor epoch) of {@code arch}. */
    LoopResult loop(Architecture arch, int classes, int pairs) {
        double[] real = new double[pairs];
        double[] wait = new double[pairs];
        double[] ready = new double[pairs];
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-loader");
            t.setDaemon(true);
            return t;
        });
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = arch.build(classes, 1, 0f);
            Engine.getInstance().setRandomSeed(11);
            Architectures.initialize(net, manager, preprocessor.inputSize());
            List<Parameter> trainable = new ArrayList<>();
            for (Pair<String, Parameter> p : net.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    trainable.add(p.getValue());
                }
            }
            try (Adam adam = new Adam(trainable, manager)) {
                ParameterStore store = new ParameterStore(manager, false);
                int epoch = 0;
                realEpoch(net, adam, store, manager, pool, epoch++);
                for (int r = 0; r < pairs; r++) {
                    double[] rw = realEpoch(net, adam, store, manager, pool, epoch++);
                    real[r] = rw[0];
                    wait[r] = rw[1];
                    ready[r] = readyEpoch(net, adam, store, manager, epoch++);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new LoopResult(real, wait, ready, prepared.size());
    }

    private double[] realEpoch(ClassifierNet net, Adam adam, ParameterStore store, NDManager manager,
                               ExecutorService pool, int epoch) {
        List<List<Integer>> batches = batches(epoch);
        long start = System.nanoTime();
        long waited = 0;
        Future<HostBatch> next = pool.submit(() -> build(batches.get(0), epoch));
        for (int b = 0; b < batches.size(); b++) {
            long w = System.nanoTime();
            HostBatch host = get(next);
            waited += System.nanoTime() - w;
            if (b + 1 < batches.size()) {
                List<Integer> following = batches.get(b + 1);
                next = pool.submit(() -> build(following, epoch));
            }
            step(net, adam, store, manager, host);
        }
        return new double[] {(System.nanoTime() - start) / 1e9, waited / 1e9};
    }

    private double readyEpoch(ClassifierNet net, Adam adam, ParameterStore store, NDManager manager, int epoch) {
        List<HostBatch> ready = new ArrayList<>();
        for (List<Integer> indices : batches(epoch)) {
            ready.add(build(indices, epoch));
        }
        long start = System.nanoTime();
        for (HostBatch host : ready) {
            step(net, adam, store, manager, host);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private void step(ClassifierNet net, Adam adam, ParameterStore store, NDManager manager, HostBatch host) {
        int size = preprocessor.inputSize();
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.create(host.x(), new Shape(host.size(), 1, size, size));
            NDArray targets = batch.create(host.labels());
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                Gradients.zero(net);
                NDList out = net.forward(store, new NDList(x), true);
                NDArray loss = Losses.classification(out.get(0), targets, null, 0);
                tape.backward(loss);
                loss.getFloat();
            }
        }
        adam.step(1e-4f);
    }

    private static HostBatch get(Future<HostBatch> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading a batch", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("loading a batch failed", e.getCause());
        }
    }
}
