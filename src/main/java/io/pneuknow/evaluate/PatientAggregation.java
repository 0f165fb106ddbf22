package io.pneuknow.evaluate;

import io.pneuknow.BadInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns per-image predictions into per-patient ones, for patient-level metrics. */
public final class PatientAggregation {
    private PatientAggregation() {
    }

    /**
     * One prediction per patient (in order of first appearance): probabilities averaged over the patient's
     * images, true class the most frequent among them (the lowest class index on ties), image id = patient
     * id, attributes those of the patient's first image.
     */
    public static List<Prediction> meanProbabilities(List<Prediction> predictions) {
        Map<String, List<Prediction>> byPatient = new LinkedHashMap<>();
        for (Prediction p : predictions) {
            byPatient.computeIfAbsent(p.patientId(), id -> new ArrayList<>()).add(p);
        }
        List<Prediction> patients = new ArrayList<>();
        for (Map.Entry<String, List<Prediction>> entry : byPatient.entrySet()) {
            List<Prediction> images = entry.getValue();
            int k = images.get(0).probabilities().length;
            double[] mean = new double[k];
            int[] votes = new int[k];
            for (Prediction image : images) {
                if (image.probabilities().length != k) {
                    throw new BadInputException("patient " + entry.getKey() + " has predictions with "
                            + k + " and " + image.probabilities().length + " classes");
                }
                votes[image.trueClass()]++;
                for (int c = 0; c < k; c++) {
                    mean[c] += image.probabilities()[c] / images.size();
                }
            }
            int trueClass = 0;
            for (int c = 1; c < k; c++) {
                if (votes[c] > votes[trueClass]) {
                    trueClass = c;
                }
            }
            patients.add(new Prediction(entry.getKey(), entry.getKey(), trueClass, mean, images.get(0).attributes()));
        }
        return patients;
    }
}
