package io.pneuknow.guard;

/**
 * One reason to distrust a prediction: a stable code for machines ({@code lateral_view},
 * {@code paediatric}, {@code not_chest}, {@code modality}, {@code small_image}, {@code aspect},
 * {@code colour}, {@code unlike_training}, {@code low_confidence}) and a sentence for people. Neither
 * carries patient identifiers.
 *
 * @param outOfScope whether the warning says the image lies outside the model's population (every code
 *     but {@code low_confidence}, which is a softer notice about the model's answer, not the input)
 */
public record GuardWarning(String code, String message, boolean outOfScope) {
    /** The code of the one softer notice. */
    public static final String LOW_CONFIDENCE = "low_confidence";

    public GuardWarning(String code, String message) {
        this(code, message, !LOW_CONFIDENCE.equals(code));
    }
}
