package io.pneuknow.model;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs src/test/python/torchscript_backbone.py (Debian's python3-torch, /usr/bin/python3) to write
 * TorchScript backbones and their reference outputs. Like {@link TorchvisionParityTest}, a test that
 * needs them is skipped when torch is absent, unless {@code -Dpneuknow.requireHeavy=true} (CI), then
 * it fails.
 */
public final class TorchScriptFixtures {
    static final Path SCRIPT = Path.of("src/test/python/torchscript_backbone.py");

    private TorchScriptFixtures() {
    }

    /** Where the files are written once per build (again when the script changes). */
    static final Path DIR = Path.of("target/torchscript-fixtures");

    /**
     * The directory with the files (at 64 px, batch 2, seed 0), written by the script unless they are
     * there already from the same script.
     */
    public static synchronized Path files() throws IOException, InterruptedException {
        Path done = DIR.resolve("done");
        String script = Safetensors.sha256(SCRIPT) + " " + Safetensors.sha256(TorchvisionParityTest.SCRIPT);
        if (Files.isRegularFile(done) && Files.readString(done).equals(script)) {
            return DIR;
        }
        write(DIR);
        Files.writeString(done, script);
        return DIR;
    }

    private static Path write(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path log = dir.resolve("python.log");
        int probe = PythonProcess.run(List.of(TorchvisionParityTest.PYTHON, SCRIPT.toString(), "--versions"), log, 120);
        if (probe != 0) {
            String why = TorchvisionParityTest.PYTHON + " cannot import torch/torchvision (apt-get install python3-torch"
                    + " python3-torchvision): " + PythonProcess.tail(log);
            if (Boolean.getBoolean("pneuknow.requireHeavy")) {
                fail("pneuknow.requireHeavy=true but " + why);
            }
            Assumptions.abort(why);
        }
        int rc = PythonProcess.run(List.of(TorchvisionParityTest.PYTHON, SCRIPT.toString(), "--size", "64", "--batch", "2", "--seed",
                "0", dir.toString()), log, 600);
        if (rc != 0) {
            fail("torchscript_backbone.py failed (" + rc + "): " + PythonProcess.tail(log));
        }
        return dir;
    }

}
