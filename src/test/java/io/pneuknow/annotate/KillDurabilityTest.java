package io.pneuknow.annotate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability rule of the embedded database: a child JVM writes changes to the H2 file and acknowledges each on
 * standard output after its commit; it is killed with SIGKILL (destroyForcibly) in the middle of writing; every
 * acknowledged change is then in the file, at the acknowledged version or later.
 */
class KillDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedChangeSurvivesKillMinus9() throws Exception {
        Path file = dir.resolve("workspace.mv.db");
        try (AnnotationDatabase database = AnnotationDatabase.open(file.toString(), null, true)) {
            AnnotationStore store = new AnnotationStore(database);
            store.putImages(List.of(new ImageEntry("a", "a.png", "pneumonia", null)));
            store.addPerson("writer", Role.ANNOTATOR, null);
        }
        Map<Long, Integer> acknowledged = writeUntilKilled(file, 400);

        try (AnnotationDatabase database = AnnotationDatabase.open(file.toString(), null, false)) {
            AnnotationStore store = new AnnotationStore(database);
            List<String> missing = new ArrayList<>();
            for (Map.Entry<Long, Integer> ack : acknowledged.entrySet()) {
                StoredRegion region = store.region(ack.getKey()).orElse(null);
                if (region == null || region.version() < ack.getValue()) {
                    missing.add(ack.getKey() + " v" + ack.getValue() + " (found " + (region == null ? "nothing" : "v" + region.version()) + ")");
                } else if (region.version() == 2) {
                    assertThat(region.draft().label()).endsWith("-edited");
                    assertThat(store.history(ack.getKey())).hasSize(2);
                }
            }
            assertThat(missing).as("acknowledged changes lost after kill -9 of " + acknowledged.size()).isEmpty();
            assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(200);
        }
    }

    /** Runs {@link DurabilityChild} until it has acknowledged {@code changes} changes, kills it; the last version acknowledged per region. */
    static Map<Long, Integer> writeUntilKilled(Path file, int changes, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DurabilityChild.class.getName(), file.toString()));
        command.addAll(List.of(extra));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<Long, Integer> acknowledged = new LinkedHashMap<>();
        int seen = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("ack ")) {
                    String[] parts = line.split(" ");
                    acknowledged.merge(Long.parseLong(parts[1]), Integer.parseInt(parts[2]), Math::max);
                    if (++seen >= changes) {
                        // killed while it keeps writing: the next change is in flight
                        child.destroyForcibly();
                        break;
                    }
                }
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(seen).as("acknowledgements before the kill").isEqualTo(changes);
        return acknowledged;
    }
}
