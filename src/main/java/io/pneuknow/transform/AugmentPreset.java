package io.pneuknow.transform;

import io.pneuknow.BadInputException;
import java.util.Locale;

/** Augmentation strength of the reference code (Schaudt et al., Sci Rep 13:9203, 2023): none, weak or strong. */
public enum AugmentPreset {
    /** No augmentation: the pair comes back unchanged. */
    NONE,
    /** Shift-scale-rotate, always applied, to image and mask alike. */
    WEAK,
    /** WEAK, then photometric changes of the image only. */
    STRONG;

    /** Parses "none", "weak" or "strong" (case-insensitive). */
    public static AugmentPreset parse(String value) {
        if (value != null) {
            for (AugmentPreset preset : values()) {
                if (preset.name().equalsIgnoreCase(value.trim())) {
                    return preset;
                }
            }
        }
        throw new BadInputException("unknown augmentation preset '" + value + "'; allowed: none, weak, strong");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
