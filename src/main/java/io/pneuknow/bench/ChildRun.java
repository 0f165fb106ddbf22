package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one side of the race as a child process under {@link LaunchConditions} (its allocator, threads and CPUs),
 * its output to a log file, while a {@link ProcessTree.Sampler} reads the memory of its whole process tree and the
 * conditions each of its processes really ran under. Used the same way for ours (a child JVM) and the peer.
 */
final class ChildRun {
    /** Milliseconds between two samples of a child's process tree. */
    static final long SAMPLE_MILLIS = 100;

    private ChildRun() {
    }

    /** A finished child: its exit code (124: timed out), its output, its tree's memory and members. */
    record Result(int exitCode, String output, ProcessTree.Memory memory) {
    }

    /** Starts {@code command} under the conditions, samples its tree until it ends (or the timeout kills it). */
    static Result run(List<String> command, LaunchConditions conditions, Path log, int timeoutSeconds)
            throws IOException, InterruptedException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(conditions.command(command)).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        conditions.applyTo(pb.environment());
        Process p = pb.start();
        ProcessTree.Sampler sampler = ProcessTree.system().sampler(p.pid(), SAMPLE_MILLIS).start();
        boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
        ProcessTree.Memory memory = sampler.stop();
        String output = Files.readString(log);
        return finished ? new Result(p.exitValue(), output, memory)
                : new Result(124, "timed out after " + timeoutSeconds + " s\n" + output, memory);
    }

    /** The last characters of an output, for an error message. */
    static String tail(String output) {
        String s = output.strip();
        return s.length() > 600 ? "..." + s.substring(s.length() - 600) : s;
    }
}
