package io.pneuknow.api;

import io.pneuknow.guard.GuardWarning;
import io.pneuknow.image.GreyImage;
import java.util.List;

/**
 * What a {@link Classifier} says about one image.
 *
 * @param classes the model's class names, in label order
 * @param probabilities softmax probabilities in the order of {@code classes} (as the model computed them,
 *     not rounded)
 * @param predictedIndex the index of the largest probability (the first on ties)
 * @param warnings the input guard's warnings (empty when it found nothing to say); every code but
 *     {@code low_confidence} marks the image as outside the model's intended population
 * @param heatMap Grad-CAM of the predicted class at the image's size, values in [0, 1]; null unless the
 *     classifier was opened with heat maps
 */
public record ImagePrediction(List<String> classes, float[] probabilities, int predictedIndex,
                              List<GuardWarning> warnings, GreyImage heatMap) {
    /** Copies the class and warning lists. */
    public ImagePrediction {
        classes = List.copyOf(classes);
        warnings = List.copyOf(warnings);
    }

    /** The name of the predicted class. */
    public String predictedClass() {
        return classes.get(predictedIndex);
    }

    /** The probability of the named class; an {@link IllegalArgumentException} for a name the model lacks. */
    public float probability(String className) {
        int c = classes.indexOf(className);
        if (c < 0) {
            throw new IllegalArgumentException(className + ": not a class of this model " + classes);
        }
        return probabilities[c];
    }

    /** Whether the input guard marked the image as outside the model's intended population. */
    public boolean outOfScope() {
        return warnings.stream().anyMatch(GuardWarning::outOfScope);
    }
}
