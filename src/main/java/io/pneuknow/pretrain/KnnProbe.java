package io.pneuknow.pretrain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.Json;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.Splitter;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.BackboneCard;
import io.pneuknow.model.BackboneFile;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.NoGrad;
import io.pneuknow.train.Schedules;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.transform.Resize;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A cheap sanity check of frozen backbone features: k-nearest-neighbour classification (cosine
 * similarity of the globally pooled feature vectors, centred on the reference images' mean;
 * majority vote, ties to the larger summed similarity) with patient-grouped, class-stratified folds,
 * so no patient is its own neighbour. Compare a pretrained backbone with a freshly initialised one
 * of the same architecture: random convolutional features already classify above chance.
 */
public final class KnnProbe {
    /** Accuracy and balanced accuracy (mean per-class recall) over all images, each predicted from the other folds. */
    public record Result(int images, int folds, int k, double accuracy, double balancedAccuracy, List<String> classes) {
    }

    private KnnProbe() {
    }

    /**
     * Scores the saved backbone in {@code dir} and a freshly initialised backbone of the same
     * architecture (the engine seeded with {@code initSeed}, as pretraining starts from) with k-NN
     * on the labelled {@code dataset} (described by {@code description}), records both in backbone.json and returns the updated card.
     */
    public static BackboneCard attach(Path dir, Dataset dataset, String description, int k, int folds, long foldSeed,
                                      long initSeed, PrintStream log) throws IOException {
        BackboneCard card = BackboneFile.readCard(dir);
        Preprocessor preprocessor = card.preprocessing();
        ObjectNode probe = Json.MAPPER.createObjectNode();
        probe.put("method", "k-NN, cosine on pooled features centred on the reference folds' mean, majority vote; "
                + "patient-grouped stratified folds; whole images at " + preprocessor.inputSize() + " px");
        probe.put("data", description);
        probe.set("classes", Json.MAPPER.valueToTree(dataset.classes()));
        probe.put("k", k);
        probe.put("folds", folds);
        probe.put("foldSeed", foldSeed);
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architecture.fromCliName(card.architecture()).build(1, card.inputChannels(), 0f);
            Engine.getInstance().setRandomSeed((int) Schedules.mix(initSeed, 99));
            Architectures.initialize(net, manager, preprocessor.inputSize());
            List<GreyImage> images = dataset.samples().parallelStream()
                    .map(s -> Resize.to(ImageFiles.read(s.file()), preprocessor.inputSize(), preprocessor.inputSize()))
                    .toList();
            Result random = evaluate(dataset, imageFeatures(net, images, preprocessor, manager, 32), k, folds, foldSeed);
            BackboneFile.loadInto(net, card.architecture(), dir);
            Result pretrained = evaluate(dataset, imageFeatures(net, images, preprocessor, manager, 32), k, folds, foldSeed);
            probe.set("pretrained", scores(pretrained));
            probe.set("randomInit", scores(random));
            log.printf(Locale.ROOT, "k-NN probe (k %d, %d patient-grouped folds, %d images): pretrained accuracy %.3f, "
                            + "balanced %.3f; random init accuracy %.3f, balanced %.3f%n", k, folds, images.size(),
                    pretrained.accuracy(), pretrained.balancedAccuracy(), random.accuracy(), random.balancedAccuracy());
        }
        BackboneCard updated = card.withProbe(probe);
        BackboneFile.rewriteCard(dir, updated);
        return updated;
    }

    private static ObjectNode scores(Result r) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("accuracy", r.accuracy());
        node.put("balancedAccuracy", r.balancedAccuracy());
        return node;
    }

    /** Pooled features of every sample, whole image at the preprocessor's size, backbone in inference mode. */
    public static float[][] features(ClassifierNet net, List<Sample> samples, Preprocessor preprocessor,
                                     NDManager manager, int batchSize) {
        List<GreyImage> images = samples.parallelStream()
                .map(s -> Resize.to(ImageFiles.read(s.file()), preprocessor.inputSize(), preprocessor.inputSize()))
                .toList();
        return imageFeatures(net, images, preprocessor, manager, batchSize);
    }

    /** Pooled features of images already at the preprocessor's size. */
    public static float[][] imageFeatures(ClassifierNet net, List<GreyImage> images, Preprocessor preprocessor,
                                     NDManager manager, int batchSize) {
        int size = preprocessor.inputSize();
        int per = preprocessor.channels() * size * size;
        float[][] out = new float[images.size()][];
        ParameterStore store = new ParameterStore(manager, false);
        for (int from = 0; from < images.size(); from += batchSize) {
            int n = Math.min(batchSize, images.size() - from);
            float[] host = new float[n * per];
            for (int i = 0; i < n; i++) {
                System.arraycopy(preprocessor.toTensor(images.get(from + i)), 0, host, i * per, per);
            }
            try (NoGrad ignored = NoGrad.start(); NDManager scratch = manager.newSubManager()) {
                NDArray x = scratch.create(host, new Shape(n, preprocessor.channels(), size, size));
                NDArray pooled = Pool.globalAvgPool2d(net.features(store, x, false));
                int c = (int) pooled.getShape().get(1);
                float[] flat = pooled.toFloatArray();
                for (int i = 0; i < n; i++) {
                    out[from + i] = java.util.Arrays.copyOfRange(flat, i * c, (i + 1) * c);
                }
            }
        }
        return out;
    }

    /** k-NN with {@code folds} patient-grouped folds of the data set (seeded); {@code features} in sample order. */
    public static Result evaluate(Dataset dataset, float[][] features, int k, int folds, long seed) {
        Split split = Splitter.kFold(dataset, folds, seed);
        List<Sample> samples = dataset.samples();
        int[] labels = new int[samples.size()];
        int[] fold = new int[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            labels[i] = samples.get(i).classIndex();
            fold[i] = Integer.parseInt(split.partOf(samples.get(i).imageId()));
        }
        int[] predicted = predict(features, labels, fold, dataset.classes().size(), k);
        return score(predicted, labels, dataset.classes(), folds, k);
    }

    /** Each sample's k-NN prediction from the samples of the other folds. */
    static int[] predict(float[][] features, int[] labels, int[] fold, int classes, int k) {
        int n = features.length;
        int[] predicted = new int[n];
        int folds = java.util.Arrays.stream(fold).max().orElse(0) + 1;
        for (int f = 0; f < folds; f++) {
            final int test = f;
            int dim = features[0].length;
            double[] mean = new double[dim];
            int refs = 0;
            for (int i = 0; i < n; i++) {
                if (fold[i] != test) {
                    for (int d = 0; d < dim; d++) {
                        mean[d] += features[i][d];
                    }
                    refs++;
                }
            }
            for (int d = 0; d < dim; d++) {
                mean[d] /= Math.max(1, refs);
            }
            double[][] unit = new double[n][];
            for (int i = 0; i < n; i++) {
                unit[i] = unit(features[i], mean);
            }
            for (int i = 0; i < n; i++) {
                if (fold[i] != test) {
                    continue;
                }
                int[] best = new int[k];
                double[] bestSim = new double[k];
                java.util.Arrays.fill(best, -1);
                java.util.Arrays.fill(bestSim, Double.NEGATIVE_INFINITY);
                for (int j = 0; j < n; j++) {
                    if (fold[j] == test) {
                        continue;
                    }
                    double sim = dot(unit[i], unit[j]);
                    if (sim > bestSim[k - 1]) {
                        int p = k - 1;
                        while (p > 0 && sim > bestSim[p - 1]) {
                            bestSim[p] = bestSim[p - 1];
                            best[p] = best[p - 1];
                            p--;
                        }
                        bestSim[p] = sim;
                        best[p] = j;
                    }
                }
                int[] votes = new int[classes];
                double[] weight = new double[classes];
                for (int m = 0; m < k && best[m] >= 0; m++) {
                    votes[labels[best[m]]]++;
                    weight[labels[best[m]]] += bestSim[m];
                }
                int winner = 0;
                for (int c = 1; c < classes; c++) {
                    if (votes[c] > votes[winner] || (votes[c] == votes[winner] && weight[c] > weight[winner])) {
                        winner = c;
                    }
                }
                predicted[i] = winner;
            }
        }
        return predicted;
    }

    static Result score(int[] predicted, int[] labels, List<String> classes, int folds, int k) {
        int correct = 0;
        int[] perClass = new int[classes.size()];
        int[] hits = new int[classes.size()];
        for (int i = 0; i < labels.length; i++) {
            perClass[labels[i]]++;
            if (predicted[i] == labels[i]) {
                correct++;
                hits[labels[i]]++;
            }
        }
        double recall = 0;
        int present = 0;
        for (int c = 0; c < classes.size(); c++) {
            if (perClass[c] > 0) {
                recall += (double) hits[c] / perClass[c];
                present++;
            }
        }
        return new Result(labels.length, folds, k, (double) correct / labels.length, recall / present, classes);
    }

    private static double[] unit(float[] v, double[] mean) {
        double[] u = new double[v.length];
        double norm = 0;
        for (int d = 0; d < v.length; d++) {
            u[d] = v[d] - mean[d];
            norm += u[d] * u[d];
        }
        norm = Math.sqrt(norm) + 1e-12;
        for (int d = 0; d < v.length; d++) {
            u[d] /= norm;
        }
        return u;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int d = 0; d < a.length; d++) {
            s += a[d] * b[d];
        }
        return s;
    }
}
