package io.pneuknow.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Keeps the image package at the bottom: it may use only itself and the root package, and it alone names image file extensions. */
class ImagePackageDependencyTest {
    private static final Path MAIN = Path.of("src/main/java/io/pneuknow");
    private static final Pattern PROJECT_REFERENCE = Pattern.compile("io\\.pneuknow\\.([a-z]+(?:\\.[a-z]+)*)\\.[A-Z]");

    private static List<Path> sources(Path... roots) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(p -> p.toString().endsWith(".java")).sorted().forEach(files::add);
            }
        }
        return files;
    }

    @Test
    void theImagePackageUsesNoOtherPackageOfTheProject() throws IOException {
        List<String> outside = new ArrayList<>();
        for (Path file : sources(MAIN.resolve("image"))) {
            Matcher m = PROJECT_REFERENCE.matcher(Files.readString(file));
            while (m.find()) {
                String pkg = m.group(1);
                if (!pkg.equals("image") && !pkg.startsWith("image.")) {
                    outside.add(MAIN.relativize(file) + " -> io.pneuknow." + pkg);
                }
            }
        }
        assertThat(outside).isEmpty();
        assertThat(Files.exists(MAIN.resolve("dicom"))).as("the old dicom package is gone").isFalse();
    }

    @Test
    void onlyTheImagePackageSpellsOutImageExtensions() throws IOException {
        Pattern extension = Pattern.compile("\"\\.(jpg|jpeg|dcm|dicom)\"", Pattern.CASE_INSENSITIVE);
        List<String> spelled = new ArrayList<>();
        for (Path file : sources(MAIN, Path.of("spark/src/main/java"))) {
            if (!file.startsWith(MAIN.resolve("image")) && extension.matcher(Files.readString(file)).find()) {
                spelled.add(file.toString());
            }
        }
        assertThat(spelled).isEmpty();
    }
}
