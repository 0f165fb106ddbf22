package io.pneuknow.evaluate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-image agreement scores summarised as mean energy, hit rate, IoU and AUPRC with patient-level
 * 95% bootstrap intervals ({@link Bootstrap}), over all annotated images and per class; a class with
 * fewer than {@value #MIN_IMAGES_PER_CLASS} annotated images gets the reason instead of figures, a
 * class with none is left out. The one summariser used by evaluation and by the study tables.
 *
 * @param energy   mean share of the heat inside the regions, null where no image was scored
 * @param hitRate  share of images whose hottest pixel lies inside a region, null where no image was scored
 * @param iou      mean IoU, null where no image was scored
 * @param auprc    mean AUPRC, null where no image was scored
 * @param perClass per class name in class order, the figures or the reason there are none
 */
public record LocalisationSummary(Interval energy, Interval hitRate, Interval iou, Interval auprc,
                                  Map<String, ClassLocalisation> perClass) {

    /** Classes with fewer annotated images than this get no per-class localisation figures. */
    public static final int MIN_IMAGES_PER_CLASS = 10;

    /**
     * The summary of the scored images.
     *
     * @param images     one prediction per scored image (its image id, patient and true class are used),
     *                   in the order the bootstrap resamples
     * @param scores     each image's scores by image id; every image of {@code images} must have one
     * @param classes    class names by index
     * @param replicates bootstrap replicates
     * @param seed       bootstrap seed (the same for the overall and the per-class intervals)
     */
    public static LocalisationSummary of(List<Prediction> images, Map<String, LocalisationScores> scores,
                                         List<String> classes, int replicates, long seed) {
        if (images.isEmpty()) {
            return new LocalisationSummary(null, null, null, null, Map.of());
        }
        List<Interval> all = intervals(images, scores, replicates, seed);
        Map<String, ClassLocalisation> perClass = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            int cls = c;
            List<Prediction> ofClass = images.stream().filter(p -> p.trueClass() == cls).toList();
            if (ofClass.isEmpty()) {
                continue;
            }
            if (ofClass.size() < MIN_IMAGES_PER_CLASS) {
                perClass.put(classes.get(c), new ClassLocalisation.TooFew("too few annotated images ("
                        + ofClass.size() + " < " + MIN_IMAGES_PER_CLASS + ")"));
                continue;
            }
            List<Interval> ci = intervals(ofClass, scores, replicates, seed);
            perClass.put(classes.get(c), new ClassLocalisation.Scored(ofClass.size(), ci.get(0), ci.get(1), ci.get(2),
                    ci.get(3)));
        }
        return new LocalisationSummary(all.get(0), all.get(1), all.get(2), all.get(3), perClass);
    }

    private static List<Interval> intervals(List<Prediction> images, Map<String, LocalisationScores> scores,
                                            int replicates, long seed) {
        return Bootstrap.patientLevelAll(images, replicates, seed, sample -> {
            List<LocalisationScores> drawn = new ArrayList<>(sample.size());
            for (Prediction p : sample) {
                drawn.add(scores.get(p.imageId()));
            }
            return LocalisationScores.mean(drawn).values();
        });
    }
}
