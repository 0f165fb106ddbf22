package io.pneuknow.annotate;

/**
 * A model's prediction of an image as the database keeps it ({@code predictions}, one per image and model).
 *
 * @param imageId     the image's id
 * @param label       the predicted class
 * @param probability the model's probability of that class, in [0, 1]
 * @param heatInside  the share of the predicted class's heat map (summed over the pixels) inside the image's lesion
 *                    regions, in [0, 1]; null when the image had no lesion regions or the heat map was all zero
 * @param regionArea  the share of the image's pixels those regions cover, in (0, 1]; null without regions
 */
public record StoredPrediction(String imageId, String label, double probability, Double heatInside, Double regionArea) {
    /** Refuses a missing image id or label, a probability outside [0, 1] and shares outside their ranges. */
    public StoredPrediction {
        if (imageId == null || label == null) {
            throw new IllegalArgumentException("a prediction needs an image id and a label");
        }
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability " + probability + " of image " + imageId + " is outside [0, 1]");
        }
        if (heatInside != null && !(heatInside >= 0 && heatInside <= 1)) {
            throw new IllegalArgumentException("heat share " + heatInside + " of image " + imageId + " is outside [0, 1]");
        }
        if (regionArea != null && !(regionArea > 0 && regionArea <= 1)) {
            throw new IllegalArgumentException("region area share " + regionArea + " of image " + imageId + " is outside (0, 1]");
        }
        if (heatInside != null && regionArea == null) {
            throw new IllegalArgumentException("image " + imageId + " has a heat share inside regions but no region area");
        }
    }

    /** A prediction without heat shares (the image has no lesion regions, or they were not computed). */
    public StoredPrediction(String imageId, String label, double probability) {
        this(imageId, label, probability, null, null);
    }

    /**
     * Whether the heat lies no more on the regions than chance: a heat share inside the regions below the share of
     * the image they cover, which is what heat spread evenly over the image would put there. False without regions
     * or heat. The list's {@code disagree} filter is the same test in SQL ({@link AnnotationStore#images}).
     */
    public boolean heatOutsideRegions() {
        return heatInside != null && regionArea != null && heatInside < regionArea;
    }

    /** Whether the reviewer should look: the predicted class is not {@code className}, or {@link #heatOutsideRegions()}. */
    public boolean disagreesWith(String className) {
        return (className != null && !className.equals(label)) || heatOutsideRegions();
    }
}
