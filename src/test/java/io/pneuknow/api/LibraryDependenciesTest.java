package io.pneuknow.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * picocli (the command line's) and Javalin (the service's) are optional dependencies in pom.xml: a
 * project using the library does not get them. So no main class outside cli, serve and bench may
 * refer to them; read from the compiled classes' constant pools (imports, fully qualified names,
 * annotations and signatures alike).
 */
class LibraryDependenciesTest {
    /** A class name or a descriptor naming a type of picocli or Javalin. */
    private static final Pattern OPTIONAL = Pattern.compile("(^|L)(picocli|io/javalin)/");
    private static final Set<String> ALLOWED = Set.of("io/pneuknow/cli/", "io/pneuknow/serve/", "io/pneuknow/studio/",
            "io/pneuknow/bench/");

    @Test
    void onlyCliTheServersAndBenchReferToPicocliOrJavalin() throws Exception {
        Path classes = Path.of(Trainer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> offenders = new TreeSet<>();
        List<String> scanned = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(classes)) {
            for (Path file : walk.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                scanned.add(name);
                if (ALLOWED.stream().noneMatch(name::startsWith) && refersToOptional(Files.readAllBytes(file))) {
                    offenders.add(name);
                }
            }
        }
        assertThat(scanned).contains("io/pneuknow/api/Trainer.class", "io/pneuknow/model/Predictor.class");
        assertThat(offenders).as("main classes outside cli, serve, studio and bench that use picocli or Javalin").isEmpty();
    }

    @Test
    void theScanFindsTheCommandLineAndTheServiceUsingThem() throws Exception {
        assertThat(refersToOptional(bytes("io/pneuknow/cli/Main.class"))).isTrue();
        assertThat(refersToOptional(bytes("io/pneuknow/serve/Server.class"))).isTrue();
        assertThat(refersToOptional(bytes("io/pneuknow/api/Classifier.class"))).isFalse();
        assertThat(utf8Constants(bytes("io/pneuknow/cli/Main.class"))).anyMatch(s -> s.startsWith("picocli/CommandLine"));
    }

    private static byte[] bytes(String resource) throws IOException {
        try (var in = LibraryDependenciesTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return in.readAllBytes();
        }
    }

    private static boolean refersToOptional(byte[] classFile) throws IOException {
        return utf8Constants(classFile).stream().anyMatch(s -> OPTIONAL.matcher(s).find());
    }

    /** The CONSTANT_Utf8 entries of a class file's constant pool (JVMS 4.4). */
    static List<String> utf8Constants(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort(); // minor version
        in.readUnsignedShort(); // major version
        int count = in.readUnsignedShort();
        List<String> utf8 = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8.add(in.readUTF());
                case 3, 4 -> in.skipNBytes(4); // Integer, Float
                case 5, 6 -> { // Long, Double take two slots
                    in.skipNBytes(8);
                    i++;
                }
                case 7, 8, 16, 19, 20 -> in.skipNBytes(2); // Class, String, MethodType, Module, Package
                case 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4); // refs, NameAndType, Dynamic, InvokeDynamic
                case 15 -> in.skipNBytes(3); // MethodHandle
                default -> throw new IOException("constant pool tag " + tag + " unknown");
            }
        }
        return utf8;
    }
}
