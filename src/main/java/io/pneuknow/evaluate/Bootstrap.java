package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Patient-level percentile bootstrap: each replicate draws as many patients as there are, with
 * replacement, and takes all images of every drawn patient. Deterministic for a seed
 * ({@link SplittableRandom}; patients in order of first appearance).
 */
public final class Bootstrap {
    private static final double LOWER_QUANTILE = 0.025;
    private static final double UPPER_QUANTILE = 0.975;

    private Bootstrap() {
    }

    /** The 95% interval of {@code statistic}, resampling patients. */
    public static Interval patientLevel(List<Prediction> predictions, int replicates, long seed,
                                       Function<List<Prediction>, Double> statistic) {
        return patientLevelAll(predictions, replicates, seed, p -> new double[] {statistic.apply(p)}).get(0);
    }

    /**
     * Intervals of several statistics computed together on each replicate (e.g. all values of one
     * {@link MetricSet}); {@code statistics} must return the same number of values every time.
     */
    public static List<Interval> patientLevelAll(List<Prediction> predictions, int replicates, long seed,
                                                 Function<List<Prediction>, double[]> statistics) {
        checkReplicates(replicates);
        double[] estimates = statistics.apply(predictions);
        double[][] values = new double[estimates.length][replicates];
        List<List<Prediction>> patients = byPatient(predictions);
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < replicates; r++) {
            double[] replicate = statistics.apply(resample(patients, predictions.size(), random));
            for (int s = 0; s < estimates.length; s++) {
                values[s][r] = replicate[s];
            }
        }
        List<Interval> intervals = new ArrayList<>();
        for (int s = 0; s < estimates.length; s++) {
            intervals.add(interval(estimates[s], values[s]));
        }
        return intervals;
    }

    /**
     * The 95% interval of statistic(a) - statistic(b) for two models scored on the same images (matched
     * by image id): each replicate draws patients once and applies the statistic to both models.
     */
    public static Interval pairedDifference(List<Prediction> a, List<Prediction> b, int replicates, long seed,
                                            Function<List<Prediction>, Double> statistic) {
        Map<String, Prediction> bByImage = new HashMap<>();
        for (Prediction p : b) {
            if (bByImage.put(p.imageId(), p) != null) {
                throw new BadInputException("image " + p.imageId() + " is scored twice by the second model");
            }
        }
        Set<String> aImages = new HashSet<>();
        for (Prediction p : a) {
            if (!aImages.add(p.imageId())) {
                throw new BadInputException("image " + p.imageId() + " is scored twice by the first model");
            }
            Prediction other = bByImage.get(p.imageId());
            if (other == null) {
                throw new BadInputException("image " + p.imageId() + " is scored by the first model only;"
                        + " compare models on the same images");
            }
            if (!other.patientId().equals(p.patientId()) || other.trueClass() != p.trueClass()) {
                throw new BadInputException("image " + p.imageId() + " has a different patient or true class in the"
                        + " two models' predictions");
            }
        }
        if (aImages.size() != bByImage.size()) {
            throw new BadInputException((bByImage.size() - aImages.size())
                    + " images are scored by the second model only; compare models on the same images");
        }
        return patientLevel(a, replicates, seed, sample -> {
            List<Prediction> matched = new ArrayList<>(sample.size());
            for (Prediction p : sample) {
                matched.add(bByImage.get(p.imageId()));
            }
            return statistic.apply(sample) - statistic.apply(matched);
        });
    }

    private static void checkReplicates(int replicates) {
        if (replicates < 0) {
            throw new BadInputException("bootstrap replicates " + replicates + " must be 0 or more");
        }
    }

    private static List<List<Prediction>> byPatient(List<Prediction> predictions) {
        Map<String, List<Prediction>> patients = new LinkedHashMap<>();
        for (Prediction p : predictions) {
            patients.computeIfAbsent(p.patientId(), id -> new ArrayList<>()).add(p);
        }
        return new ArrayList<>(patients.values());
    }

    private static List<Prediction> resample(List<List<Prediction>> patients, int expectedSize, SplittableRandom random) {
        List<Prediction> sample = new ArrayList<>(expectedSize + expectedSize / 4);
        for (int i = 0; i < patients.size(); i++) {
            sample.addAll(patients.get(random.nextInt(patients.size())));
        }
        return sample;
    }

    private static Interval interval(double estimate, double[] replicateValues) {
        double[] valid = Arrays.stream(replicateValues).filter(v -> !Double.isNaN(v)).sorted().toArray();
        return new Interval(estimate, quantile(valid, LOWER_QUANTILE), quantile(valid, UPPER_QUANTILE),
                replicateValues.length, valid.length);
    }

    /** Linear interpolation between order statistics (numpy's default); NaN for no values. */
    private static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
