package io.pneuknow;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A child whose parent's end of its stdin closes ends within seconds, by SIGKILL, whatever it is doing: here at
 * the moments that once hung a Spark cell JVM (closing while the JVM starts and while it loads the engine) and
 * while it computes.
 */
class ParentWatchTest {
    /** The child: starts the watch, says so, then loads the engine and computes until it is killed. */
    public static void main(String[] args) throws Exception {
        ParentWatch.stopWhenInputCloses(System.out, "parent gone");
        System.out.println("watching");
        System.out.flush();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomNormal(new ai.djl.ndarray.types.Shape(64, 64));
            for (long i = 0; ; i++) {
                a = a.matMul(a).div(a.norm().add(1f));
                if (i == 0) {
                    System.out.println("computing");
                    System.out.flush();
                }
            }
        }
    }

    private static Process child() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(List.of(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                ParentWatchTest.class.getName())).redirectErrorStream(true).start();
    }

    /** Reads the child's output until a line containing {@code marker}; false at the end of its output. */
    private static boolean readUntil(BufferedReader out, String marker) throws Exception {
        for (String line; (line = out.readLine()) != null; ) {
            if (line.contains(marker)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aChildEndsByItselfWhenItsInputClosesWhileStartingLoadingOrComputing() throws Exception {
        for (String moment : List.of("starting", "watching", "computing")) {
            Process child = child();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                if (!moment.equals("starting")) {
                    assertThat(readUntil(out, moment)).as("the child reached '" + moment + "'").isTrue();
                }
                child.getOutputStream().close(); // what the kernel does when the parent dies
                assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("ended within 60 s after closing while " + moment).isTrue();
                assertThat(child.exitValue()).as("killed itself while " + moment).isEqualTo(ParentWatch.KILLED);
                if (!moment.equals("starting")) {
                    assertThat(readUntil(out, "parent gone")).as("its last words").isTrue();
                }
            } finally {
                child.destroyForcibly();
            }
        }
    }
}
