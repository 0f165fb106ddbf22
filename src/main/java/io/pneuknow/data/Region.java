package io.pneuknow.data;

import java.nio.file.Path;

/**
 * One expert annotation on an image: a box, a binary mask file, or both (a box that is one
 * component of a mask). {@code type} is the annotation family (for example "lesion" or "anatomy"),
 * {@code label} the finding ("ground_glass_opacity"). {@code origin} says where it was read, for
 * messages ("regions.csv row 17").
 */
public record Region(String type, String label, Box box, Path maskFile, String origin) {
    public Region {
        if (box == null && maskFile == null) {
            throw new IllegalArgumentException("a region needs a box or a mask: " + origin);
        }
    }
}
