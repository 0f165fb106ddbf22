package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the peer, bench/peer_train.py (plain PyTorch + torchvision), as a subprocess of
 * /usr/bin/python3 (or the interpreter given) under the race's {@link LaunchConditions}, and reads the JSON it
 * prints. The script is frozen (issue 7: written before any tuning of ours, not to be tuned against it): its SHA-256
 * is {@link #FROZEN_SHA256}, and the report says whether the script run is that one.
 */
final class PeerScript {
    /** SHA-256 of bench/peer_train.py as committed in 1a79d5d (issue 7) and unchanged since. */
    static final String FROZEN_SHA256 = "f3cae8fbaeb4160523d9f011b7bb00c5b02eb9ed3afd23ee8168e07d60b1fe66";

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
    String unavailable(LaunchConditions conditions) throws InterruptedException {
        if (!Files.isRegularFile(script)) {
            return "peer script " + script + " not found (give --peer-script)";
        }
        try {
            ChildRun.Result r = exec(List.of("--versions", "--data", "."), conditions, 120);
            if (r.exitCode() != 0) {
                return python + " cannot import torch/torchvision (apt-get install python3-torch python3-torchvision): "
                        + ChildRun.tail(r.output());
            }
            return null;
        } catch (IOException e) {
            return python + " cannot be run: " + e.getMessage();
        }
    }

    /** The torch and torchvision versions, as the script prints them. */
    JsonNode versions(LaunchConditions conditions) throws IOException, InterruptedException {
        return json(exec(List.of("--versions", "--data", "."), conditions, 120));
    }

    /** The interpreter's version ("Python 3.11.2"), or why it could not be read. */
    String pythonVersion() throws InterruptedException {
        try {
            Process p = new ProcessBuilder(python, "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "unknown (" + out + ")";
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** The script's SHA-256, hex. */
    String sha256() throws IOException {
        return sha256(script);
    }

    /** A file's SHA-256, hex. */
    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "f3ca... (frozen: the script of issue 7)" or a warning that it is another one. */
    static String frozenStatement(String sha256) {
        return sha256 + (sha256.equals(FROZEN_SHA256) ? " (the frozen peer of issue 7)"
                : " (NOT the frozen peer of issue 7, whose SHA-256 is " + FROZEN_SHA256 + ": this race is not the documented one)");
    }

    /** One timed run of the script: its JSON and its process tree's memory and conditions. */
    record Run(JsonNode json, ProcessTree.Memory memory) {
    }

    /** Runs one timing of the script with these arguments (after --data etc.) under the conditions. */
    Run run(List<String> args, LaunchConditions conditions, int timeoutSeconds) throws IOException, InterruptedException {
        ChildRun.Result r = exec(args, conditions, timeoutSeconds);
        return new Run(json(r), r.memory());
    }

    private JsonNode json(ChildRun.Result r) throws IOException {
        if (r.exitCode() != 0) {
            throw new IOException("peer script failed (exit " + r.exitCode() + "): " + ChildRun.tail(r.output()));
        }
        String[] lines = r.output().strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].startsWith("{")) {
                return Json.MAPPER.readTree(lines[i]);
            }
        }
        throw new IOException("peer script printed no JSON: " + ChildRun.tail(r.output()));
    }

    private ChildRun.Result exec(List<String> args, LaunchConditions conditions, int timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(args);
        Files.createDirectories(workDir);
        Path log = Files.createTempFile(workDir, "peer", ".log");
        return ChildRun.run(command, conditions, log, timeoutSeconds);
    }
}
