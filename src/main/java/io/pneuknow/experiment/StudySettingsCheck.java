package io.pneuknow.experiment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a study folder may be run with the given settings: the training settings, the variants its cells may
 * have used and the fold assignment must be those it was started with (in the nested or the flat form of PneuKnow
 * 0.2); the grid itself may grow.
 */
final class StudySettingsCheck {
    private StudySettingsCheck() {
    }

    /**
     * Refuses settings other than those of the study already in the folder of {@code studyFile} (its study.json;
     * nothing to check when there is none), naming every changed field: a study folder may gain architectures,
     * methods, folds and seeds, but its finished cells were trained with one set of training settings and fold
     * assignment; mixing others in would make the tables compare unlike things.
     */
    static void requireSame(StudyConfig config, Path studyFile) throws IOException {
        if (!Files.exists(studyFile)) {
            return;
        }
        StudyConfig earlier = Json.MAPPER.readValue(studyFile.toFile(), StudyConfig.class);
        List<String> changed = new ArrayList<>();
        if (!earlier.train().equals(config.train())) {
            var before = Json.MAPPER.valueToTree(earlier.train());
            var now = Json.MAPPER.valueToTree(config.train());
            now.fieldNames().forEachRemaining(concern -> now.get(concern).fieldNames().forEachRemaining(f -> {
                if (!now.get(concern).get(f).equals(before.get(concern).get(f))) {
                    changed.add("train." + concern + "." + f + " " + before.get(concern).get(f) + " -> "
                            + now.get(concern).get(f));
                }
            }));
        }
        if (earlier.variants() != null) {
            // a variant may be added, but one that finished cells may have used must stay as it was
            earlier.variants().forEach((name, settings) -> {
                var now = config.variants() == null ? null : config.variants().get(name);
                if (now != null && !sameVariant(now, settings)) {
                    changed.add("variants." + name + " " + settings + " -> " + now);
                }
            });
        }
        if (earlier.folds() != config.folds() || earlier.foldSeed() != config.foldSeed()) {
            changed.add("folds/foldSeed " + earlier.folds() + "/" + earlier.foldSeed() + " -> " + config.folds() + "/"
                    + config.foldSeed());
        }
        if (!changed.isEmpty()) {
            throw new BadInputException(studyFile.getParent() + " holds a study trained with other settings ("
                    + String.join(", ", changed) + "); use a new study folder, or restore the settings to extend it");
        }
    }

    /**
     * Whether two spellings of a variant give the same settings: its guidance region types, and its
     * training settings whether nested or flat (as PneuKnow 0.2 wrote them).
     */
    private static boolean sameVariant(ObjectNode a, ObjectNode b) {
        return java.util.Objects.equals(a.get(StudyConfig.GUIDANCE), b.get(StudyConfig.GUIDANCE))
                && TrainConfig.givenNested(withoutGuidance(a)).equals(TrainConfig.givenNested(withoutGuidance(b)));
    }

    private static ObjectNode withoutGuidance(ObjectNode settings) {
        ObjectNode copy = settings.deepCopy();
        copy.remove(StudyConfig.GUIDANCE);
        return copy;
    }
}
