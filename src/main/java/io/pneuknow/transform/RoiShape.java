package io.pneuknow.transform;

import io.pneuknow.BadInputException;
import java.util.Locale;

/** How a region becomes ROI pixels: its mask file where it has one ({@code MASK}), or always its box ({@code BOX}). */
public enum RoiShape {
    /** The mask file where the region has one, otherwise its box. */
    MASK,
    /** The box; a region with only a mask file contributes the bounding box of that mask. */
    BOX;

    /** Parses "mask" or "box" (case-insensitive). */
    public static RoiShape parse(String value) {
        if (value != null) {
            for (RoiShape shape : values()) {
                if (shape.name().equalsIgnoreCase(value.trim())) {
                    return shape;
                }
            }
        }
        throw new BadInputException("unknown ROI shape '" + value + "'; allowed: mask, box");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
