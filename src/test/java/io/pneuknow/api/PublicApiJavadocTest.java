package io.pneuknow.api;

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

/**
 * Every public top-level type of the packages api/package-info.java declares public API has a javadoc
 * comment ({@code /** ... *}{@code /}) before its declaration (annotations may stand between), read
 * from src/main/java.
 */
class PublicApiJavadocTest {
    /** The public API packages, as listed in api/package-info.java ("" is io.pneuknow itself). */
    static final List<String> PUBLIC_PACKAGES = List.of("", "api", "data", "image", "image/dicom", "transform", "model",
            "train", "evaluate", "explain", "guard");
    private static final Path SOURCES = Path.of("src/main/java/io/pneuknow");
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^public\\s+(?:(?:final|abstract|sealed|non-sealed|static|strictfp)\\s+)*(?:class|interface|record|enum|@interface)\\s+(\\w+)",
            Pattern.MULTILINE);

    @Test
    void everyPublicTypeOfThePublicPackagesHasAJavadocComment() throws IOException {
        List<String> undocumented = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (String pkg : PUBLIC_PACKAGES) {
            Path dir = pkg.isEmpty() ? SOURCES : SOURCES.resolve(pkg);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                    if (file.getFileName().toString().equals("package-info.java")) {
                        continue;
                    }
                    String source = Files.readString(file);
                    if (publicType(source)) {
                        types.add(SOURCES.relativize(file).toString());
                    }
                    if (publicTypeWithoutJavadoc(source) != null) {
                        undocumented.add(SOURCES.relativize(file).toString());
                    }
                }
            }
        }
        assertThat(types).as("public types found").contains("BadInputException.java", "api/Classifier.java",
                "train/TrainConfig.java", "image/dicom/DicomHeader.java", "evaluate/MetricSet.java");
        assertThat(undocumented).as("public types without a javadoc comment").isEmpty();
    }

    @Test
    void theScanTellsAJavadocFromOtherComments() {
        assertThat(publicTypeWithoutJavadoc("package a;\n\nimport b.C;\n\n/** Says what. */\npublic final class A {\n}\n"))
                .isNull();
        assertThat(publicTypeWithoutJavadoc("package a;\n\n/**\n * Says what.\n */\n@Deprecated\n@SuppressWarnings(\"x\")\n"
                + "public record R(int x) {\n}\n")).isNull();
        assertThat(publicTypeWithoutJavadoc("package a;\n\n/* not javadoc */\npublic interface I {\n}\n")).isEqualTo("I");
        assertThat(publicTypeWithoutJavadoc("package a;\n\n// a line comment\npublic enum E { X }\n")).isEqualTo("E");
        assertThat(publicTypeWithoutJavadoc("package a;\n\nimport b.C;\n\npublic class P {\n    /** a member's. */\n"
                + "    public void f() {\n    }\n}\n")).isEqualTo("P");
        // a javadoc separated from the type by an import belongs to nothing
        assertThat(publicTypeWithoutJavadoc("package a;\n/** File. */\nimport b.C;\n\npublic class Q {\n}\n")).isEqualTo("Q");
        assertThat(publicTypeWithoutJavadoc("package a;\n\nclass Hidden {\n}\n")).isNull();
    }

    private static boolean publicType(String source) {
        return PUBLIC_TYPE.matcher(source).find();
    }

    /** The public top-level type's name when no javadoc comment precedes it; null when one does or there is none. */
    static String publicTypeWithoutJavadoc(String source) {
        Matcher m = PUBLIC_TYPE.matcher(source);
        if (!m.find()) {
            return null;
        }
        String before = source.substring(0, m.start()).stripTrailing();
        // annotations on their own lines between the comment and the declaration
        while (true) {
            int lineStart = before.lastIndexOf('\n') + 1;
            String last = before.substring(lineStart).strip();
            if (!last.startsWith("@")) {
                break;
            }
            before = before.substring(0, lineStart).stripTrailing();
        }
        if (before.endsWith("*/")) {
            int open = before.lastIndexOf("/*");
            if (open >= 0 && before.startsWith("/**", open)) {
                return null;
            }
        }
        return m.group(1);
    }
}
