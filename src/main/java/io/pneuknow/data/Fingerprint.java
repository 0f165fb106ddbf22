package io.pneuknow.data;

import io.pneuknow.BadInputException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A SHA-256 over a data set's content: the class list, and per sample (sorted by image id) its id,
 * class, patient, image file bytes, and per region (sorted) its type, label, box and mask file bytes.
 * Two data sets with the same fingerprint train the same model.
 */
public final class Fingerprint {
    private static final Comparator<Region> REGION_ORDER = Comparator
            .comparing(Region::type).thenComparing(Region::label)
            .thenComparing(r -> Objects.toString(r.box(), ""))
            .thenComparing(r -> Objects.toString(r.maskFile(), ""));

    private Fingerprint() {
    }

    /** The lower-case hex SHA-256 fingerprint of {@code dataset}; files are hashed in parallel. */
    public static String of(Dataset dataset) {
        Stream<Path> images = dataset.samples().stream().map(Sample::file);
        Stream<Path> masks = dataset.samples().stream()
                .flatMap(s -> Stream.concat(s.regions().stream(), s.guidanceRegions().stream()))
                .map(Region::maskFile).filter(Objects::nonNull);
        Map<Path, byte[]> fileHashes = Stream.concat(images, masks).distinct().toList().parallelStream()
                .collect(Collectors.toConcurrentMap(Function.identity(), Fingerprint::hashFile));

        MessageDigest digest = sha256();
        update(digest, "classes", String.join("\u0000", dataset.classes()));
        List<Sample> samples = dataset.samples().stream().sorted(Comparator.comparing(Sample::imageId)).toList();
        for (Sample sample : samples) {
            update(digest, "sample", sample.imageId(), sample.className(), sample.patientId());
            digest.update(fileHashes.get(sample.file()));
            for (Region region : sample.regions().stream().sorted(REGION_ORDER).toList()) {
                Box box = region.box();
                update(digest, "region", region.type(), region.label(),
                        box == null ? "-" : box.x() + "," + box.y() + "," + box.width() + "," + box.height());
                if (region.maskFile() != null) {
                    digest.update(fileHashes.get(region.maskFile()));
                }
            }
            // guidance regions (only present when asked for) change what training sees
            for (Region region : sample.guidanceRegions().stream().sorted(REGION_ORDER).toList()) {
                Box box = region.box();
                update(digest, "guidance", region.type(), region.label(),
                        box == null ? "-" : box.x() + "," + box.y() + "," + box.width() + "," + box.height());
                if (region.maskFile() != null) {
                    digest.update(fileHashes.get(region.maskFile()));
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, String... fields) {
        for (String field : fields) {
            digest.update(field.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
        }
    }

    private static byte[] hashFile(Path file) {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read for fingerprint (" + e.getMessage()
                    + "); the data set changed on disk since it was loaded, load it again");
        }
        return digest.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
