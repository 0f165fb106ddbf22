package io.pneuknow.image;

import io.pneuknow.image.dicom.DicomFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The one registry of image formats: PNG, JPEG and DICOM. Folder scans (predict, pretrain), the
 * service's upload check and every decoder ask here which files are images and how to read them.
 */
public final class ImageFormats {
    /** PNG, 8/16-bit grey or RGB(A), read with Java's ImageIO. */
    public static final ImageFormat PNG = new ImageIoFormat("png", List.of(".png"),
            0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);
    /** JPEG (baseline), read with Java's ImageIO. */
    public static final ImageFormat JPEG = new ImageIoFormat("jpeg", List.of(".jpg", ".jpeg"), 0xff, 0xd8, 0xff);
    /** DICOM Part 10: named .dcm or .dicom, or with "DICM" after the 128-byte preamble whatever its name. */
    public static final DicomFormat DICOM = new DicomFormat();
    /**
     * Whatever else ImageIO reads (BMP, GIF): a file given by name that is none of the above is still
     * tried with it, as it always was; not a member, so folder scans and uploads never pick it.
     */
    public static final ImageFormat OTHER = new ImageIoFormat("other", List.of());

    private static final List<ImageFormat> MEMBERS = List.of(PNG, JPEG, DICOM);

    private ImageFormats() {
    }

    /** The members: PNG, JPEG, DICOM. */
    public static List<ImageFormat> all() {
        return MEMBERS;
    }

    /** Every member's file extensions, dot included: .png, .jpg, .jpeg, .dcm, .dicom. */
    public static List<String> extensions() {
        return MEMBERS.stream().flatMap(f -> f.extensions().stream()).toList();
    }

    /** Whether a file's name ends in one of {@link #extensions()}, in any case: what folder scans take. */
    public static boolean named(Path file) {
        return byExtension(file).isPresent();
    }

    /** The member a file's name ends in, if any. */
    public static Optional<ImageFormat> byExtension(Path file) {
        return MEMBERS.stream().filter(f -> f.named(file)).findFirst();
    }

    /**
     * The member whose magic bytes start {@code head}, if any. DICOM is tried first: its preamble is
     * 128 free bytes, which may look like anything else.
     */
    public static Optional<ImageFormat> sniff(byte[] head) {
        if (DICOM.recognises(head)) {
            return Optional.of(DICOM);
        }
        return MEMBERS.stream().filter(f -> f.recognises(head)).findFirst();
    }

    /**
     * How a file is read: DICOM when it is named so or has the preamble; else the member its name or
     * first bytes say; else {@link #OTHER}. PNG, JPEG and OTHER all decode by content.
     */
    public static ImageFormat forFile(Path file) {
        if (DICOM.claims(file)) {
            return DICOM;
        }
        return byExtension(file).or(() -> sniff(head(file))).orElse(OTHER);
    }

    /** How bytes held in memory (an upload) are read: the member their first bytes say, else {@link #OTHER}. */
    public static ImageFormat forBytes(byte[] bytes) {
        return sniff(bytes).orElse(OTHER);
    }

    /** A file's first 132 bytes (enough for the DICOM preamble); none when it cannot be read, left to the decoder to report. */
    private static byte[] head(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(132);
        } catch (IOException | RuntimeException e) {
            return new byte[0];
        }
    }
}
