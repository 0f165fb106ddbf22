package io.pneuknow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.SplitSpec;
import io.pneuknow.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Everything a training run was given: how to read the data, how to split it, how to train. This is
 * config.json; read back, training settings it leaves out (or the whole {@code train}) take their defaults.
 */
record RunConfig(DataSpec data, SplitSpec split, TrainConfig train) {
    static RunConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": configuration file not found; check the path given to --config");
        }
        try {
            JsonNode tree = Json.MAPPER.readTree(file.toFile());
            if (tree instanceof ObjectNode run) {
                // settings left out take the defaults; a wrong one is named with its field
                run.set("train", Json.MAPPER.valueToTree(TrainConfig.fromJson(run.get("train"), file + ": train")));
            }
            return Json.MAPPER.treeToValue(tree, RunConfig.class);
        } catch (IOException e) {
            String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BadInputException(file + ": not a valid configuration (" + first
                    + "); compare with the config.json a training run writes");
        }
    }
}
