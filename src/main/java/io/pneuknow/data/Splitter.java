package io.pneuknow.data;

import io.pneuknow.BadInputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Makes patient-grouped, class-stratified splits. Each patient is stratified by its rarest class
 * (in images over the data set). Patients are shuffled with the seed, then, class by class and
 * largest image count first, each goes to the part furthest below its target number of images.
 * The same seed gives the same split.
 */
public final class Splitter {
    private Splitter() {
    }

    /** k folds named "0".."k-1" of about equal size per class. */
    public static Split kFold(Dataset dataset, int k, long seed) {
        if (k < 2) {
            throw new BadInputException("k=" + k + " folds: need at least 2; choose a larger k");
        }
        List<String> parts = IntStream.range(0, k).mapToObj(Integer::toString).toList();
        double[] shares = new double[k];
        Arrays.fill(shares, 1.0 / k);
        return assign(dataset, parts, shares, seed);
    }

    /** Train/val/test hold-out with shares 0.7/0.15/0.15. */
    public static Split holdOut(Dataset dataset, long seed) {
        return holdOut(dataset, 0.7, 0.15, 0.15, seed);
    }

    /** Train/val/test hold-out with the given shares of each class's images (non-negative, summing to 1). */
    public static Split holdOut(Dataset dataset, double train, double val, double test, long seed) {
        if (train < 0 || val < 0 || test < 0 || Math.abs(train + val + test - 1) > 1e-6) {
            throw new BadInputException("hold-out shares " + train + "/" + val + "/" + test
                    + " must be non-negative and sum to 1; fix the fractions");
        }
        return assign(dataset, List.of(Split.TRAIN, Split.VAL, Split.TEST), new double[] {train, val, test}, seed);
    }

    private static Split assign(Dataset dataset, List<String> parts, double[] shares, long seed) {
        Map<String, List<Sample>> imagesOfPatient = new TreeMap<>();
        Map<String, Integer> imagesOfClass = new HashMap<>();
        for (Sample sample : dataset.samples()) {
            imagesOfPatient.computeIfAbsent(sample.patientId(), p -> new ArrayList<>()).add(sample);
            imagesOfClass.merge(sample.className(), 1, Integer::sum);
        }
        Random random = new Random(seed);
        List<String> patients = new ArrayList<>(imagesOfPatient.keySet());
        Collections.shuffle(patients, random);

        Map<String, List<String>> patientsOfStratum = new LinkedHashMap<>();
        dataset.classes().forEach(c -> patientsOfStratum.put(c, new ArrayList<>()));
        for (String patient : patients) {
            String rarest = imagesOfPatient.get(patient).stream().map(Sample::className)
                    .min(Comparator.comparingInt((String c) -> imagesOfClass.get(c)).thenComparingInt(dataset.classes()::indexOf))
                    .orElseThrow();
            patientsOfStratum.get(rarest).add(patient);
        }

        Map<String, String> partOfImage = new LinkedHashMap<>();
        for (List<String> stratum : patientsOfStratum.values()) {
            stratum.sort(Comparator.comparingInt((String p) -> imagesOfPatient.get(p).size()).reversed()); // stable: keeps shuffle among ties
            int total = stratum.stream().mapToInt(p -> imagesOfPatient.get(p).size()).sum();
            double[] assigned = new double[parts.size()];
            List<Integer> tieOrder = new ArrayList<>(IntStream.range(0, parts.size()).boxed().toList());
            Collections.shuffle(tieOrder, random);
            for (String patient : stratum) {
                int best = -1;
                for (int part : tieOrder) {
                    boolean furtherBelow = best < 0
                            || shares[part] * total - assigned[part] > shares[best] * total - assigned[best];
                    if (shares[part] > 0 && furtherBelow) {
                        best = part;
                    }
                }
                assigned[best] += imagesOfPatient.get(patient).size();
                for (Sample sample : imagesOfPatient.get(patient)) {
                    partOfImage.put(sample.imageId(), parts.get(best));
                }
            }
        }
        return new Split(partOfImage, parts);
    }
}
