package io.pneuknow.train;

import io.pneuknow.BadInputException;
import io.pneuknow.data.Sample;
import java.util.Locale;

/**
 * Which samples have an ROI image for the teacher, following Schaudt et al. (2023): images of the
 * no-finding class get an empty (all-black) ROI and count as having one; annotated images use
 * their regions; pathological images without annotation are by default left out of teacher
 * training and get zero weight in the student's feature term ({@link Unannotated#EXCLUDE}), or
 * may use the whole image as their ROI ({@link Unannotated#WHOLE_IMAGE}).
 */
public record RoiPolicy(String noFindingClass, Unannotated unannotated) {
    /** What to do with a pathological image that has no region. */
    public enum Unannotated {
        EXCLUDE, WHOLE_IMAGE;

        public static Unannotated parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("unannotated policy '" + value
                        + "' is unknown; use 'exclude' or 'whole-image'");
            }
        }
    }

    /** The kind of ROI a sample gets. */
    public enum Kind { REGIONS, EMPTY, WHOLE_IMAGE, NONE }

    public Kind kindOf(Sample sample) {
        if (sample.annotated()) {
            return Kind.REGIONS;
        }
        if (noFindingClass != null && noFindingClass.equals(sample.className())) {
            return Kind.EMPTY;
        }
        return unannotated == Unannotated.WHOLE_IMAGE ? Kind.WHOLE_IMAGE : Kind.NONE;
    }
}
