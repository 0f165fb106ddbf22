package io.pneuknow.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.pneuknow.model.ModelCard;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /v1/model} tells about the model: identity, labels, input, intended use and
 * population, provenance, and the validation figures of the kept epoch (the only metrics a model
 * bundle holds; test metrics come from {@code pneuknow evaluate}). Server file paths and platform versions only
 * when the admin asks ({@code serve --model-details}; {@link #of(ModelCard, boolean)}).
 */
record ModelView(String id, String weightsSha256, List<String> labels, String architecture, String method,
                 int inputSize, int inputChannels, String intendedUse, String population, Provenance provenance,
                 ModelCard.Checkpoint validation, ModelCard.InputStatistics inputStatistics) {

    /** Where the model came from. */
    record Provenance(String createdAt, String command, long seed, String dataFingerprint, Map<String, String> versions,
                      ModelCard.TeacherInfo teacher, ModelCard.Pretrained pretrained, JsonNode configuration) {
    }

    /** What replaces a file path in the training command when details are not asked for. */
    static final String HIDDEN_PATH = "<path>";

    /**
     * The view of a model card. Without {@code details} it tells no server file path (each argument of the
     * training command holding a path separator becomes {@value #HIDDEN_PATH}, the teacher's path is left out)
     * and no platform versions (Java, DJL, PyTorch, OS); with them, the card as it is.
     */
    static ModelView of(ModelCard card, boolean details) {
        ModelCard.TeacherInfo teacher = card.teacher();
        if (!details && teacher != null) {
            teacher = new ModelCard.TeacherInfo(null, teacher.weightsSha256(), teacher.input(), teacher.checkpoint());
        }
        return new ModelView(card.id(), card.weightsSha256(), card.labels(), card.architecture(), card.method(),
                card.preprocessing().inputSize(), card.inputChannels(), card.intendedUse(), card.population(),
                new Provenance(card.createdAt(), details ? card.command() : withoutPaths(card.command()), card.seed(),
                        card.dataFingerprint(), details ? card.versions() : null, teacher, card.pretrained(),
                        details ? card.configuration() : withoutPaths(card.configuration())),
                card.checkpoint(), card.inputStatistics());
    }

    /** The command with every argument that holds a path separator replaced by {@value #HIDDEN_PATH}. */
    static String withoutPaths(String command) {
        if (command == null) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (String word : command.split(" ")) {
            if (out.length() > 0) {
                out.append(' ');
            }
            int equals = word.indexOf('=');
            String value = word.startsWith("--") && equals > 0 ? word.substring(equals + 1) : word;
            if (!isPath(value)) {
                out.append(word);
            } else if (value.length() == word.length()) {
                out.append(HIDDEN_PATH);
            } else {
                out.append(word, 0, equals + 1).append(HIDDEN_PATH);
            }
        }
        return out.toString();
    }

    /** A copy of the settings with every text value holding a path separator replaced by {@value #HIDDEN_PATH}. */
    static JsonNode withoutPaths(JsonNode settings) {
        if (settings == null) {
            return null;
        }
        JsonNode copy = settings.deepCopy();
        hidePaths(copy);
        return copy;
    }

    private static void hidePaths(JsonNode node) {
        if (node instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                JsonNode value = object.get(name);
                if (value.isTextual() && isPath(value.asText())) {
                    object.put(name, HIDDEN_PATH);
                } else {
                    hidePaths(value);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isTextual() && isPath(array.get(i).asText())) {
                    array.set(i, TextNode.valueOf(HIDDEN_PATH));
                } else {
                    hidePaths(array.get(i));
                }
            }
        }
    }

    private static boolean isPath(String text) {
        return text.contains("/") || text.contains("\\");
    }
}
