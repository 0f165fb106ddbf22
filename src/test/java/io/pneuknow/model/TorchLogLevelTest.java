package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TorchLogLevelTest {
    private static final String NNPACK = "Could not initialize NNPACK";

    @Test
    void levelNamesAndNumbersAsPyTorchReadsThem() {
        assertThat(TorchLogLevel.level(null)).isEqualTo(2);
        assertThat(TorchLogLevel.level(" ")).isEqualTo(2);
        assertThat(TorchLogLevel.level("info")).isZero();
        assertThat(TorchLogLevel.level("WARNING")).isEqualTo(1);
        assertThat(TorchLogLevel.level("1")).isEqualTo(1);
        assertThat(TorchLogLevel.level("Fatal")).isEqualTo(3);
        assertThat(TorchLogLevel.level("loud")).isEqualTo(2);
    }

    @Test
    void theLoadedLibrarysFlagHoldsTheLevelAfterApply() {
        TorchLogLevel.apply();
        int expected = TorchLogLevel.level(System.getenv(TorchLogLevel.ENVIRONMENT));
        assertThat(TorchLogLevel.status()).as("status").startsWith("libtorch logs at level " + expected + " (was ");
        assertThat(TorchLogLevel.current()).contains(expected);
    }

    /**
     * The real warning, on a CPU NNPACK refuses: qemu-user emulating a Westmere (no AVX2) runs a JVM
     * doing batch-1 convolutions. At libtorch's own level (WARNING) it must print NNPACK's warning,
     * which shows the emulation reproduces it; at ours it must print none.
     */
    @Test
    void noNnpackWarningOnACpuWithoutAvx2() throws Exception {
        requireQemu();
        String atWarning = probe("WARNING");
        assertThat(atWarning).as("probe at libtorch's WARNING level").contains("level 1 sum").contains(NNPACK);
        String ours = probe(null);
        assertThat(ours).as("probe at PneuKnow's default").contains("level 2 sum").doesNotContain(NNPACK);
    }

    private static String probe(String level) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of("qemu-x86_64", "-cpu", "Westmere", java, "-XX:TieredStopAtLevel=1",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), NnpackProbe.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove(TorchLogLevel.ENVIRONMENT);
        if (level != null) {
            builder.environment().put(TorchLogLevel.ENVIRONMENT, level);
        }
        Path log = Files.createTempFile("nnpack-probe", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("the NNPACK probe under qemu did not finish in 5 minutes");
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    private static void requireQemu() throws InterruptedException {
        boolean available;
        try {
            Process p = new ProcessBuilder("qemu-x86_64", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            available = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            available = false;
        }
        if (!available) {
            if (Boolean.getBoolean("pneuknow.requireHeavy")) {
                fail("pneuknow.requireHeavy=true but qemu-x86_64 is not installed; apt-get install qemu-user");
            }
            Assumptions.abort("qemu-x86_64 is not installed (apt-get install qemu-user)");
        }
    }
}
