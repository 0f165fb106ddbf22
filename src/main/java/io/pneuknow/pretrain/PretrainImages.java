package io.pneuknow.pretrain;

import io.pneuknow.BadInputException;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Sample;
import io.pneuknow.image.ImageFormat;
import io.pneuknow.image.ImageFormats;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The images a backbone is pretrained on: files under a root, in a fixed order, with a one-line
 * description of where they came from. Labels are not needed for the contrastive objective.
 *
 * @param root the folder the files are listed relative to
 * @param files absolute image files, sorted by their path relative to {@code root}
 * @param description where the images came from, for the provenance record
 */
public record PretrainImages(Path root, List<Path> files, String description) {
    /** The formats a folder scan takes: PNG and JPEG (not DICOM, which pretraining has never listed from a folder). */
    private static final List<ImageFormat> FORMATS = List.of(ImageFormats.PNG, ImageFormats.JPEG);

    public PretrainImages {
        files = List.copyOf(files);
    }

    /** Every PNG or JPEG file under {@code dir}, recursively (hidden files and folders skipped). */
    public static PretrainImages folder(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new BadInputException(dir + ": image folder not found; pass a folder of PNG/JPEG files to --images");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> !hidden(root.relativize(p)))
                    .filter(p -> FORMATS.stream().anyMatch(f -> f.named(p)))
                    .sorted((a, b) -> relative(root, a).compareTo(relative(root, b)))
                    .toList();
        } catch (IOException e) {
            throw new BadInputException(dir + ": cannot list the image folder (" + e.getMessage() + "); check its permissions");
        }
        if (files.isEmpty()) {
            throw new BadInputException(dir + ": no .png, .jpg or .jpeg files found (searched recursively); check the folder");
        }
        return new PretrainImages(root, files, files.size() + " PNG/JPEG files under " + root + " (recursive)");
    }

    /** The images of a labelled data set's samples (labels unused), described by {@code description}. */
    public static PretrainImages of(Dataset dataset, List<Sample> samples, String description) {
        Path root = dataset.root().toAbsolutePath().normalize();
        List<Path> files = samples.stream().map(s -> s.file().toAbsolutePath().normalize()).distinct()
                .sorted((a, b) -> relative(root, a).compareTo(relative(root, b))).toList();
        if (files.isEmpty()) {
            throw new BadInputException("no images selected for pretraining (" + description + "); check --where");
        }
        return new PretrainImages(root, files, description);
    }

    public int size() {
        return files.size();
    }

    /** The file list relative to the root, one path a line (written beside the backbone). */
    public String listing() {
        StringBuilder s = new StringBuilder();
        files.forEach(f -> s.append(relative(root, f)).append('\n'));
        return s.toString();
    }

    /**
     * SHA-256 over the sorted list of (path relative to the root, SHA-256 of the file's bytes): the
     * same images under the same names give the same fingerprint wherever the folder lies.
     */
    public String fingerprint() {
        List<byte[]> hashes = files.parallelStream().map(PretrainImages::hashFile).toList();
        MessageDigest digest = sha256();
        for (int i = 0; i < files.size(); i++) {
            digest.update(relative(root, files.get(i)).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(hashes.get(i));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String relative(Path root, Path file) {
        Path r = file.startsWith(root) ? root.relativize(file) : file;
        return r.toString().replace('\\', '/');
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static byte[] hashFile(Path file) {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read for the fingerprint (" + e.getMessage()
                    + "); check the file and its permissions");
        }
        return digest.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
