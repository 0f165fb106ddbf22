package io.pneuknow.experiment;

import io.pneuknow.BadInputException;
import io.pneuknow.train.TrainingMethod;
import io.pneuknow.train.TrainingMethods;
import java.util.Arrays;
import java.util.List;

/**
 * A method of a study grid, as the training settings it stands for: a base method, optionally
 * followed by {@code +variant} names whose settings (the study's {@code variants}) override the
 * base training settings, e.g. {@code hkd+imbalance} or {@code baseline+imbalance+pretrained}.
 *
 * @param teacherFraction the share of training images the teacher trains on ({@code hkd-fraction-F}; 1 otherwise)
 * @param regionsKeptFraction the share of annotated images whose regions are kept ({@code hkd-regions-kept-F}; 1
 *     otherwise)
 * @param variants the variant names in the order given (applied in that order); empty for none
 */
public record StudyMethod(String name, String method, String teacherInput, double teacherFraction,
                          double regionsKeptFraction, List<String> variants) {
    static final String SEPARATOR = "+";

    static StudyMethod parse(String name) {
        String[] parts = name.split("\\+", -1);
        List<String> variants = List.copyOf(Arrays.asList(parts).subList(1, parts.length));
        if (variants.stream().anyMatch(String::isBlank)) {
            throw new BadInputException("method '" + name + "' has an empty variant name; write BASE+VARIANT, e.g."
                    + " hkd+imbalance");
        }
        String base = parts[0];
        TrainingMethod.StudyForm form = TrainingMethods.studyForm(base);
        if (form == null) {
            throw new BadInputException("method '" + name + "' is unknown; use " + TrainingMethods.studyNames()
                    + ", each optionally followed by +VARIANT names defined under \"variants\"");
        }
        return new StudyMethod(name, form.method().name(), form.teacherInput(), form.teacherFraction(),
                form.regionsKeptFraction(), variants);
    }

    /** The training method this study method trains with. */
    public TrainingMethod trainingMethod() {
        return TrainingMethods.of(method);
    }

    /** The base method's name, without variants ({@code hkd} for {@code hkd+imbalance}). */
    String baseName() {
        int plus = name.indexOf(SEPARATOR);
        return plus < 0 ? name : name.substring(0, plus);
    }

    /** The variants as a suffix ({@code +imbalance}), empty for none. */
    String variantSuffix() {
        return variants.isEmpty() ? "" : SEPARATOR + String.join(SEPARATOR, variants);
    }

    /**
     * The method this one is compared against in the primary comparison: the baseline with the same
     * variants for any other method; for a baseline with variants, the plain baseline (the variants'
     * own effect); null for the plain baseline.
     */
    String reference() {
        String reference = TrainingMethods.reference().name();
        if (!baseName().equals(reference)) {
            return reference + variantSuffix();
        }
        return variants.isEmpty() ? null : reference;
    }
}
