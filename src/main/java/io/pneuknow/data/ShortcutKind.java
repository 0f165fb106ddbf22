package io.pneuknow.data;

import io.pneuknow.BadInputException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The kind of misleading cue that {@link SyntheticChestXrays} draws. Every kind lies outside the
 * expert's regions (the lung boxes widened by 4% of the side, and every lesion box), so distillation
 * from the regions cannot remove it by masking; in the train and val parts the cue names the image's
 * class, in the test part a class drawn independently of it. How each kind names a class
 * ({@code cue class} 0, 1, 2 in {@link SyntheticChestXrays#CLASSES} order):
 *
 * <ul>
 *   <li>{@link #MARKER}: a grey square in a corner: top left, top right, bottom left.</li>
 *   <li>{@link #TEXT}: burnt-in text in the top band (3x5 bitmap glyphs): {@code ICU}, {@code OPD},
 *       {@code WRD}, at a jittered place.</li>
 *   <li>{@link #LATERALITY_TAG}: a bright tag with a dark letter {@code L}, {@code R} or {@code S} at
 *       the left or right edge (side and height at random).</li>
 *   <li>{@link #BORDER}: bars along the image edges: top and bottom, left and right, or all four.</li>
 *   <li>{@link #CORNER_PATTERN}: a 4 x 4 cell patch in a random corner: checkerboard, horizontal
 *       stripes or vertical stripes.</li>
 *   <li>{@link #TEXTURE_OUTSIDE_LUNGS}: a grating over the body outside the lungs, oriented at 0, 60 or
 *       120 degrees.</li>
 *   <li>{@link #BRIGHTNESS_OUTSIDE_LUNGS}: the body outside the lungs darker, unchanged or brighter.</li>
 * </ul>
 */
public enum ShortcutKind {
    /** A grey corner square whose corner names the class (the original task). */
    MARKER("marker"),
    /** Burnt-in text whose word names the class. */
    TEXT("text"),
    /** A laterality-style tag whose letter names the class. */
    LATERALITY_TAG("laterality-tag"),
    /** Bars along the image edges whose sides name the class. */
    BORDER("border"),
    /** A small patch in a random corner whose pattern names the class. */
    CORNER_PATTERN("corner-pattern"),
    /** A grating over the body outside the lungs whose orientation names the class. */
    TEXTURE_OUTSIDE_LUNGS("texture-outside-lungs"),
    /** A brightness shift of the body outside the lungs whose sign names the class. */
    BRIGHTNESS_OUTSIDE_LUNGS("brightness-outside-lungs");

    private final String optionName;

    ShortcutKind(String optionName) {
        this.optionName = optionName;
    }

    /** The name on the command line and in task lists, e.g. {@code laterality-tag}. */
    public String optionName() {
        return optionName;
    }

    /** The kind named {@code name} (its {@link #optionName()}); a {@link BadInputException} listing the names otherwise. */
    public static ShortcutKind of(String name) {
        for (ShortcutKind kind : values()) {
            if (kind.optionName.equals(name)) {
                return kind;
            }
        }
        throw new BadInputException("shortcut kind '" + name + "' is not known; use one of " + names());
    }

    /** All option names, separated by {@code |}. */
    public static String names() {
        return Arrays.stream(values()).map(ShortcutKind::optionName).collect(Collectors.joining("|"));
    }

    @Override
    public String toString() {
        return optionName;
    }
}
