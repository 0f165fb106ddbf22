package io.pneuknow.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.model.Architecture;
import io.pneuknow.train.TrainingMethods;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The training settings a job may choose from the page: the method (one of train's registered methods; the page
 * offers the reference and HKD), the architecture, the input size and the epochs of every stage (for HKD the
 * teacher's and the student's). Everything else takes train's defaults.
 */
public record JobSettings(String method, String architecture, int inputSize, int epochs) {
    /** The most epochs a job may ask for. */
    public static final int MAX_EPOCHS = 200;
    /** The largest input size a job may ask for. */
    public static final int MAX_INPUT_SIZE = 512;
    private static final Set<String> FIELDS = Set.of("method", "architecture", "inputSize", "epochs");

    /** Checks every field; a wrong one is refused naming it, its value and what it may be. */
    public JobSettings {
        if (TrainingMethods.find(method).isEmpty()) {
            throw new BadInputException("job setting method '" + method + "' is not one of "
                    + String.join(", ", TrainingMethods.names()) + "; choose one");
        }
        if (Arrays.stream(Architecture.values()).noneMatch(a -> a.name().equals(architecture))) {
            throw new BadInputException("job setting architecture '" + architecture + "' is not one of "
                    + Arrays.stream(Architecture.values()).map(Architecture::name).collect(Collectors.joining(", ")));
        }
        if (inputSize < 32 || inputSize > MAX_INPUT_SIZE || inputSize % 32 != 0) {
            throw new BadInputException("job setting inputSize " + inputSize + " must be a multiple of 32 from 32 to "
                    + MAX_INPUT_SIZE);
        }
        if (epochs < 1 || epochs > MAX_EPOCHS) {
            throw new BadInputException("job setting epochs " + epochs + " must be from 1 to " + MAX_EPOCHS);
        }
    }

    /** The settings of a JSON object {@code {method, architecture, inputSize, epochs}}; unknown fields are refused. */
    public static JobSettings of(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new BadInputException("job settings must be a JSON object {method, architecture, inputSize, epochs}");
        }
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new BadInputException("job setting '" + name + "' is unknown; give method, architecture, inputSize, epochs");
            }
        }
        return new JobSettings(text(json, "method"), text(json, "architecture"), whole(json, "inputSize"), whole(json, "epochs"));
    }

    /** The stages whose epoch lines train prints, in order (baseline; or teacher, then student). */
    public List<String> stages() {
        return TrainingMethods.of(method).stages();
    }

    /** These settings as the JSON object {@link #of} reads. */
    public String json() {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("method", method);
        node.put("architecture", architecture);
        node.put("inputSize", inputSize);
        node.put("epochs", epochs);
        return node.toString();
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isTextual()) {
            throw new BadInputException("job setting " + field + " is missing or not a string; give it");
        }
        return value.textValue();
    }

    private static int whole(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new BadInputException("job setting " + field + " is missing or not a whole number; give it");
        }
        return value.intValue();
    }
}
