package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the peer, bench/peer_train.py (plain PyTorch + torchvision), as a subprocess of
 * /usr/bin/python3 (or the interpreter given) and reads the JSON it prints.
 */
final class PeerScript {
    private final String python;
    private final Path script;
    private final Path workDir;

    PeerScript(String python, Path script, Path workDir) {
        this.python = python;
        this.script = script;
        this.workDir = workDir;
    }

    /**
     * The script's location: the one given, else bench/peer_train.py under the working directory,
     * else beside the jar's folder (the launcher's target/pneuknow.jar, so the repository root).
     */
    static Path locate(Path given) {
        if (given != null) {
            return given;
        }
        Path here = Path.of("bench", "peer_train.py");
        if (Files.isRegularFile(here)) {
            return here.toAbsolutePath();
        }
        try {
            Path jar = Path.of(PeerScript.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path candidate = jar.getParent().getParent().resolve("bench").resolve("peer_train.py");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        } catch (Exception e) {
            // fall through
        }
        return here.toAbsolutePath();
    }

    /** Null when the peer can run; else why not (script missing, python3 or torch/torchvision not importable). */
    String unavailable() throws InterruptedException {
        if (!Files.isRegularFile(script)) {
            return "peer script " + script + " not found (give --peer-script)";
        }
        try {
            Result r = exec(List.of("--versions", "--data", "."), 120);
            if (r.exitCode != 0) {
                return python + " cannot import torch/torchvision (apt-get install python3-torch python3-torchvision): "
                        + tail(r.output);
            }
            return null;
        } catch (IOException e) {
            return python + " cannot be run: " + e.getMessage();
        }
    }

    /** The torch and torchvision versions, as the script prints them. */
    JsonNode versions() throws IOException, InterruptedException {
        return json(exec(List.of("--versions", "--data", "."), 120));
    }

    /** Runs one timing of the script with these arguments (after --data etc.) and returns its JSON. */
    JsonNode run(List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
        return json(exec(args, timeoutSeconds));
    }

    private JsonNode json(Result r) throws IOException {
        if (r.exitCode != 0) {
            throw new IOException("peer script failed (exit " + r.exitCode + "): " + tail(r.output));
        }
        String[] lines = r.output.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].startsWith("{")) {
                return Json.MAPPER.readTree(lines[i]);
            }
        }
        throw new IOException("peer script printed no JSON: " + tail(r.output));
    }

    private record Result(int exitCode, String output) {
    }

    private Result exec(List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(args);
        Files.createDirectories(workDir);
        Path log = Files.createTempFile(workDir, "peer", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        withoutLauncherPreload(pb.environment());
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
            return new Result(124, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log));
    }

    /**
     * Takes the library the launcher preloaded for us (PNEUKNOW_PRELOAD: tcmalloc) out of LD_PRELOAD, so the
     * peer runs as the plain script a user would run; a preload the user set themselves stays.
     */
    static void withoutLauncherPreload(Map<String, String> env) {
        String ours = env.remove("PNEUKNOW_PRELOAD");
        String preload = env.get("LD_PRELOAD");
        if (ours == null || preload == null) {
            return;
        }
        List<String> kept = new ArrayList<>(List.of(preload.split(":")));
        kept.remove(ours);
        if (kept.isEmpty()) {
            env.remove("LD_PRELOAD");
        } else {
            env.put("LD_PRELOAD", String.join(":", kept));
        }
    }

    /** The malloc the peer gets: what {@link #withoutLauncherPreload} leaves in LD_PRELOAD, else glibc's. */
    static String allocator(Map<String, String> environment) {
        Map<String, String> env = new HashMap<>(environment);
        withoutLauncherPreload(env);
        String preload = env.get("LD_PRELOAD");
        return preload == null || preload.isBlank() ? "glibc malloc" : "LD_PRELOAD=" + preload;
    }

    private static String tail(String output) {
        String s = output.strip();
        return s.length() > 600 ? "..." + s.substring(s.length() - 600) : s;
    }
}
