package io.pneuknow.evaluate;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.pneuknow.model.ModelCard;
import java.util.List;
import java.util.Map;

/**
 * A model scored on one part of a split: metrics with patient-level intervals, calibration,
 * operating points, per-patient figures, subgroups and heat-map localisation, with where it came
 * from. Written as evaluation.json by its components in this order; the predictions and the
 * provenance record travel with it for library users and are not written there (the provenance's
 * facts are in {@code model}, {@code part}, {@code bootstrap} and {@code modelCard}).
 *
 * @param model           which model was scored
 * @param part            the split part scored: train, val or test
 * @param images          images scored
 * @param patients        distinct patients among them
 * @param temperature     the temperature the logits were divided by (1 without calibration or where it was refused)
 * @param calibration     what temperature scaling did (fit or the reason it was refused); null where not asked for
 * @param trainingPrior   per class, the training frequency the probabilities were moved to; null where not asked for
 * @param bootstrap       how the intervals were drawn
 * @param metrics         overall and per-class metrics with intervals
 * @param perPatient      metrics on each patient's mean probabilities
 * @param operatingPoints per class, thresholds chosen on validation and what they give
 * @param subgroups       per label column, per value, the metrics of its images
 * @param localisation    Grad-CAM against the expert's regions
 * @param modelCard       the scored model's model.json
 * @param predictions     the scored images' predictions as scored (after calibration and prior shift)
 * @param provenance      model, data, settings and software of this evaluation
 */
public record Evaluation(ModelReference model, String part, int images, long patients, double temperature,
                         TemperatureScaling.Calibration calibration, Map<String, Double> trainingPrior,
                         BootstrapSettings bootstrap, MetricIntervals metrics, MetricSet perPatient,
                         Map<String, ClassOperatingPoints> operatingPoints, Map<String, Map<String, MetricSet>> subgroups,
                         Localisation localisation, ModelCard modelCard, @JsonIgnore List<Prediction> predictions,
                         @JsonIgnore Provenance provenance) {

    /**
     * The scored model.
     *
     * @param path the model folder, absolute
     */
    public record ModelReference(String id, String method, String architecture, String path) {
    }

    /**
     * How the intervals were drawn.
     *
     * @param unit what one draw resamples: "patient"
     */
    public record BootstrapSettings(int replicates, long seed, String unit) {
    }

    /**
     * Where an evaluation came from.
     *
     * @param modelId         the model's id
     * @param modelSha256     SHA-256 of its weights file
     * @param dataFingerprint {@code data.Fingerprint} of the data set evaluated on
     * @param part            the split part scored
     * @param seed            bootstrap seed
     * @param replicates      bootstrap replicates
     * @param versions        PneuKnow, DJL, engine, Java and OS versions of the evaluating process
     * @param evaluatedAt     when the evaluation finished, ISO-8601 UTC
     */
    public record Provenance(String modelId, String modelSha256, String dataFingerprint, String part, long seed,
                             int replicates, Map<String, String> versions, String evaluatedAt) {
    }
}
