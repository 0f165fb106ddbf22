package io.pneuknow.evaluate;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pneuknow.BadInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One class's thresholds chosen on validation, one reaching a target specificity and one maximising
 * Youden's J, and what they give on the scored part with patient-level intervals; or a note instead
 * where validation cannot choose them. Fields that do not apply are null and left out of JSON.
 *
 * @param note                    why there are no thresholds (no images of the class, or none outside
 *                                it, on validation), else null
 * @param targetSpecificity       the specificity the first threshold must reach on validation
 * @param thresholdForSpecificity the lowest threshold on p(class) reaching it
 * @param thresholdNote           why that threshold is degenerate ({@link OperatingPoints#thresholdNote}), else null
 * @param sensitivity             its sensitivity on the scored part
 * @param specificity             its specificity on the scored part
 * @param youdenThreshold         the threshold maximising Youden's J on validation
 * @param youden                  what it gives on the scored part
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClassOperatingPoints(String note, Double targetSpecificity, Double thresholdForSpecificity,
                                   String thresholdNote, Interval sensitivity, Interval specificity,
                                   Double youdenThreshold, OperatingPoints.OperatingPoint youden) {

    /** The entry of a class validation cannot choose thresholds for, and why. */
    public static ClassOperatingPoints refused(String note) {
        return new ClassOperatingPoints(note, null, null, null, null, null, null, null);
    }

    /**
     * Per class name (in class order), the thresholds chosen on {@code validation} and what they give on
     * {@code scored}, with patient-level intervals of {@code replicates} replicates from {@code seed}.
     */
    public static Map<String, ClassOperatingPoints> choose(List<Prediction> validation, List<Prediction> scored,
                                                           List<String> labels, double specificity, int replicates,
                                                           long seed) {
        Map<String, ClassOperatingPoints> out = new LinkedHashMap<>();
        for (int c = 0; c < labels.size(); c++) {
            int cls = c;
            long positives = validation.stream().filter(p -> p.trueClass() == cls).count();
            if (positives == 0 || positives == validation.size()) {
                out.put(labels.get(c), refused("no threshold: the validation part has " + (positives == 0
                        ? "no images of class " + labels.get(c) : "no images outside class " + labels.get(c))
                        + ", so sensitivity and specificity cannot both be measured there"));
                continue;
            }
            try {
                double atSpecificity = OperatingPoints.thresholdForSpecificity(validation, c, specificity);
                double youden = OperatingPoints.youdenThreshold(validation, c);
                out.put(labels.get(c), new ClassOperatingPoints(null, specificity, atSpecificity,
                        OperatingPoints.thresholdNote(atSpecificity, specificity),
                        Bootstrap.patientLevel(scored, replicates, seed,
                                p -> OperatingPoints.sensitivityAt(p, cls, atSpecificity).sensitivity()),
                        Bootstrap.patientLevel(scored, replicates, seed,
                                p -> OperatingPoints.sensitivityAt(p, cls, atSpecificity).specificity()),
                        youden, OperatingPoints.sensitivityAt(scored, c, youden)));
            } catch (BadInputException e) {
                out.put(labels.get(c), refused(e.getMessage()));
            }
        }
        return out;
    }
}
