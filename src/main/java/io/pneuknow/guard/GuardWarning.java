package io.pneuknow.guard;

/**
 * One reason to distrust a prediction: a stable code for machines ({@code lateral_view},
 * {@code paediatric}, {@code not_chest}, {@code modality}, {@code small_image}, {@code aspect},
 * {@code unlike_training}, {@code low_confidence}) and a sentence for people. Neither carries patient
 * identifiers.
 */
public record GuardWarning(String code, String message) {
}
