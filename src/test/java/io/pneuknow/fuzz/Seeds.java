package io.pneuknow.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The committed corpus of a fuzz test: the files of {@code <Class>Inputs/<target>/} next to the test
 * class, where Jazzer also finds them (its regression inputs, and the seeds it starts fuzzing from).
 */
final class Seeds {
    private Seeds() {
    }

    /** The corpus files' bytes, in name order. */
    static List<byte[]> of(Class<?> test, String target) {
        try (Stream<Path> files = Files.list(folder(test, target))) {
            List<byte[]> seeds = new ArrayList<>();
            for (Path file : files.sorted().toList()) {
                seeds.add(Files.readAllBytes(file));
            }
            return seeds;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One corpus file's bytes. */
    static byte[] file(Class<?> test, String target, String name) {
        try {
            return Files.readAllBytes(folder(test, target).resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path folder(Class<?> test, String target) {
        String folder = test.getSimpleName() + "Inputs/" + target;
        URL url = test.getResource(folder);
        if (url == null) {
            throw new IllegalStateException("no corpus " + folder + " next to " + test.getName());
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
