package io.pneuknow.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.Fingerprint;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainRun;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Trains a model from settings, a data set and a split into a model directory: the library's form of
 * {@code pneuknow train}. The directory receives split.csv, the model bundle (model.json, model.params),
 * a history CSV per stage and per-stage checkpoints ({@link TrainRun}).
 *
 * <p>A training holds the JVM-wide engine lease while it runs ({@code train.EngineThreads#exclusive}):
 * the engine's random generator and thread count are process-wide, so a second training started
 * meanwhile in the same JVM waits for the first and says so on its log. Trainers themselves hold no
 * engine state and may be shared between threads.
 */
public final class Trainer {
    private final TrainConfig config;
    private final PrintStream log;

    /** A trainer that logs nothing. */
    public Trainer(TrainConfig config) {
        this(config, new PrintStream(OutputStream.nullOutputStream()));
    }

    /** A trainer that logs its progress (preparation, one line per epoch, the kept epoch) to {@code log}. */
    public Trainer(TrainConfig config, PrintStream log) {
        this.config = config.validated();
        this.log = log;
    }

    /** The validated settings this trainer trains with. */
    public TrainConfig config() {
        return config;
    }

    /**
     * The samples of the split's train, val and test parts; refuses a split whose training part is empty.
     */
    public static TrainRun.Parts parts(Dataset dataset, Split split) {
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN), split.samples(dataset, Split.VAL),
                split.samples(dataset, Split.TEST));
        if (parts.train().isEmpty()) {
            throw new BadInputException("the split leaves no training images (" + parts.val().size() + " validation, "
                    + parts.test().size() + " test); check the split options");
        }
        return parts;
    }

    /**
     * Provenance for a model trained by a program: the configuration {@code {"data": spec, "train":
     * settings}} (without {@code data} when {@code spec} is null), the data set's fingerprint, its
     * population in words (from {@code spec}: the labels file and row filter; without it, the counts and
     * classes) and {@code command}, a description of what trained it.
     */
    public TrainRun.Provenance provenance(Dataset dataset, DataSpec spec, String command) {
        ObjectNode configuration = Json.MAPPER.createObjectNode();
        if (spec != null) {
            configuration.set("data", Json.MAPPER.valueToTree(spec));
        }
        configuration.set("train", Json.MAPPER.valueToTree(config));
        String population = spec != null ? dataset.population(spec)
                : dataset.samples().size() + " images of " + dataset.samples().stream().map(s -> s.patientId())
                        .distinct().count() + " patients; classes " + String.join(", ", dataset.classes());
        return new TrainRun.Provenance(configuration, Fingerprint.of(dataset), population, command);
    }

    /**
     * Trains on the split's train part (choosing the kept epoch on its val part, scoring on its test
     * part) into {@code out}, with provenance from {@link #provenance} (no data spec; the command names
     * this class).
     */
    public TrainedModel train(Dataset dataset, Split split, Path out) throws IOException {
        return train(dataset, split, out, provenance(dataset, null, Trainer.class.getName()), false);
    }

    /**
     * Trains into {@code out} with the given provenance; with {@code resume}, continues the run found in
     * {@code out} from its last completed epoch. Writes {@code out/split.csv} first.
     */
    public TrainedModel train(Dataset dataset, Split split, Path out, TrainRun.Provenance provenance, boolean resume)
            throws IOException {
        Files.createDirectories(out);
        SplitCsv.write(split, dataset, out.resolve("split.csv"));
        TrainRun.Outcome outcome = new TrainRun(config, log).run(dataset, parts(dataset, split), provenance, out, resume);
        return new TrainedModel(out, outcome);
    }
}
