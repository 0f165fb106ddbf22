package io.pneuknow.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A stage's checkpoint directory: the weights and optimizer state after the last completed epoch,
 * the weights of the best epoch, and state.json naming them with the history. Files carry their
 * epoch in the name and state.json is replaced last, so a run killed at any moment finds a
 * consistent checkpoint.
 */
final class StageCheckpoint {
    /**
     * What state.json holds. {@code bestEpoch} is -1 before the first epoch; {@code bestValLoss}
     * is the validation loss of the kept epoch (whatever metric chose it). Whether the stage
     * stopped early is not stored: {@link Selection#stopsAfter} decides it from the history.
     */
    record State(String stage, int epochsDone, int bestEpoch, double bestValLoss, List<EpochRecord> history) {
        static State fresh(String stage) {
            return new State(stage, 0, -1, Double.POSITIVE_INFINITY, List.of());
        }

        /** The state after one more epoch; {@code selection} says whether it becomes the kept epoch. */
        State after(EpochRecord r, Selection selection) {
            List<EpochRecord> h = new ArrayList<>(history);
            h.add(r);
            boolean better = selection.better(r, bestEpoch < 0 ? null : history.get(bestEpoch));
            return new State(stage, r.epoch() + 1, better ? r.epoch() : bestEpoch,
                    better ? r.valLoss() : bestValLoss, h);
        }
    }

    private final Path dir;

    StageCheckpoint(Path dir) {
        this.dir = dir;
    }

    void save(State state, Block net, Adam adam) throws IOException {
        Files.createDirectories(dir);
        int e = state.epochsDone();
        AtomicFiles.write(dir.resolve(lastName(e)), out -> saveParameters(net, out));
        AtomicFiles.write(dir.resolve(adamName(e)), out -> {
            DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out));
            adam.save(data);
            data.flush();
        });
        if (state.bestEpoch() == e - 1) {
            AtomicFiles.write(dir.resolve(bestName(state.bestEpoch())),
                    out -> saveParameters(net, out));
        }
        AtomicFiles.write(dir.resolve("state.json"), out -> Json.MAPPER.writeValue(out, state));
        // only now are older files unreferenced
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".params") || name.endsWith(".bin")) {
                    if (!name.equals(lastName(e)) && !name.equals(adamName(e)) && !name.equals(bestName(state.bestEpoch()))) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }

    /** Loads the last completed epoch into the net and optimizer; null when there is no checkpoint. */
    State load(Block net, Adam adam, NDManager manager) throws IOException {
        Path statePath = dir.resolve("state.json");
        if (!Files.exists(statePath)) {
            return null;
        }
        State state = Json.MAPPER.readValue(statePath.toFile(), State.class);
        loadParameters(net, dir.resolve(lastName(state.epochsDone())), manager);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                Files.newInputStream(dir.resolve(adamName(state.epochsDone())))))) {
            adam.load(in);
        }
        return state;
    }

    /** Loads the best epoch's weights into the net. */
    void loadBest(State state, Block net, NDManager manager) throws IOException {
        loadParameters(net, dir.resolve(bestName(state.bestEpoch())), manager);
    }

    static void saveParameters(Block net, java.io.OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out));
        net.saveParameters(data);
        data.flush();
    }

    static void loadParameters(Block net, Path file, NDManager manager) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            net.loadParameters(manager, new DataInputStream(in));
            // loading replaces the arrays; trainable ones need their gradient again
            for (var p : net.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    p.getValue().getArray().setRequiresGradient(true);
                }
            }
        } catch (MalformedModelException e) {
            throw new IOException("cannot load weights " + file + ": " + e.getMessage(), e);
        }
    }

    private static String lastName(int epochsDone) {
        return "last-e" + epochsDone + ".params";
    }

    private static String adamName(int epochsDone) {
        return "adam-e" + epochsDone + ".bin";
    }

    private static String bestName(int bestEpoch) {
        return "best-e" + bestEpoch + ".params";
    }
}
