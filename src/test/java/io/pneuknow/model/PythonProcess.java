package io.pneuknow.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a reference script (Debian's python3-torch) for a test, its output in a log file. */
final class PythonProcess {
    private PythonProcess() {
    }

    /** The exit code; -1 when the command could not start, -2 when it ran past the timeout (then killed). */
    static int run(List<String> command, Path log, int timeoutSeconds) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            Files.writeString(log, e.toString());
            return -1;
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -2;
        }
        return p.exitValue();
    }

    /** The last 2000 characters of the log, for a failure message. */
    static String tail(Path log) throws IOException {
        String s = Files.exists(log) ? Files.readString(log) : "";
        return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    }
}
