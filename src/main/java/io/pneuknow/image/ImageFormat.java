package io.pneuknow.image;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One kind of image file the project reads: its name, the file extensions that mark it, the first
 * bytes that give it away, and how it decodes to a {@link GreyImage}. The members are listed in
 * {@link ImageFormats}; a {@link io.pneuknow.BadInputException} from any method names the file (or
 * {@code name}) and a remedy.
 */
public interface ImageFormat {
    /** A lower-case name: "png", "jpeg", "dicom". */
    String name();

    /** The lower-case file name endings that mark the format, dot included (".png"); empty for none. */
    List<String> extensions();

    /** Whether the first bytes of a file (at least 132 when the file has them) are this format's. */
    boolean recognises(byte[] head);

    /** Width and height of an image file, from its header only. */
    ImageFiles.Dimensions dimensions(Path file);

    /** {@link #dimensions(Path)} for bytes held in memory (an upload); {@code name} starts any message. */
    ImageFiles.Dimensions dimensions(byte[] bytes, String name);

    /** Decodes an image file to grey values in [0, 1]. */
    GreyImage read(Path file);

    /** {@link #read(Path)} for bytes held in memory (an upload); {@code name} starts any message. */
    GreyImage decode(byte[] bytes, String name);

    /**
     * {@link #decode(byte[], String)} allowed to read a large image at a reduced size: every {@code step}-th pixel
     * of every {@code step}-th row, the largest whole step that keeps the shorter side at least
     * {@code minShorterSide} pixels, so that a huge upload never occupies its full size in memory. An image whose
     * shorter side is under {@code 2 * minShorterSide} is decoded exactly as {@link #decode(byte[], String)} does;
     * a format that cannot read reduced (DICOM) always decodes in full.
     *
     * @param minShorterSide the fewest pixels the decoded image's shorter side may have, at least 1
     */
    default GreyImage decode(byte[] bytes, String name, int minShorterSide) {
        return decode(bytes, name);
    }

    /** Decodes the whole file, without converting it to grey, and returns its size: a data check's test of readability. */
    ImageFiles.Dimensions verify(Path file);

    /** Whether a file's name ends in one of {@link #extensions()}, in any case. */
    default boolean named(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        return extensions().stream().anyMatch(name::endsWith);
    }
}
