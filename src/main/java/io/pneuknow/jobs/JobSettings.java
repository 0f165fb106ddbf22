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
 * The settings a job may choose from the page. A job is of one of two kinds:
 * <ul>
 *   <li>{@value #TRAIN}: one model trained with a method (one of train's registered methods, {@link TrainingMethods};
 *   the page offers the reference and HKD), then evaluated on the test part and registered;</li>
 *   <li>{@value #STUDY}: {@code pneuknow experiment} comparing {@link #STUDY_METHODS} paired over {@code seeds} seeds
 *   (1, 2, ...) on the same frozen annotations; it writes a study report and registers no model. A study is a job
 *   kind, not a training method, so its {@code method} is null.</li>
 * </ul>
 * Both choose the architecture, the input size and the epochs of every stage (for HKD the teacher's and the
 * student's). Everything else takes train's defaults.
 *
 * @param kind {@value #TRAIN} or {@value #STUDY}
 * @param method the training method of a {@value #TRAIN} job; null for a study
 * @param seeds the seeds of a study (1 to {@value #MAX_SEEDS}); 0 for a training job
 */
public record JobSettings(String kind, String method, String architecture, int inputSize, int epochs, int seeds) {
    /** The kind of a job that trains one model and registers it. */
    public static final String TRAIN = "train";
    /** The kind of a job that runs a study (baseline against HKD over seeds) and registers nothing. */
    public static final String STUDY = "study";
    /** The methods a study job compares, the reference first. */
    public static final List<String> STUDY_METHODS = List.of(TrainingMethods.BASELINE.name(), TrainingMethods.HKD.name());
    /** The most epochs a job may ask for. */
    public static final int MAX_EPOCHS = 200;
    /** The largest input size a job may ask for. */
    public static final int MAX_INPUT_SIZE = 512;
    /** The most seeds a study job may ask for (each seed trains every method once). */
    public static final int MAX_SEEDS = 10;
    private static final Set<String> TRAIN_FIELDS = Set.of("kind", "method", "architecture", "inputSize", "epochs");
    private static final Set<String> STUDY_FIELDS = Set.of("kind", "architecture", "inputSize", "epochs", "seeds");
    private static final String TRAIN_HINT = "give method, architecture, inputSize, epochs";
    private static final String STUDY_HINT = "a study gives kind, architecture, inputSize, epochs, seeds";

    /** Checks every field; a wrong one is refused naming it, its value and what it may be. */
    public JobSettings {
        if (TRAIN.equals(kind)) {
            if (method == null || TrainingMethods.find(method).isEmpty()) {
                throw new BadInputException("job setting method '" + method + "' is not one of "
                        + String.join(", ", TrainingMethods.names()) + "; choose one");
            }
            if (seeds != 0) {
                throw new BadInputException("job setting seeds is for a study; a training job trains one seed");
            }
        } else if (STUDY.equals(kind)) {
            if (method != null) {
                throw new BadInputException("job setting method '" + method + "' is not for a study, which compares "
                        + String.join(" and ", STUDY_METHODS) + "; leave it out");
            }
            if (seeds < 1 || seeds > MAX_SEEDS) {
                throw new BadInputException("job setting seeds " + seeds + " must be from 1 to " + MAX_SEEDS);
            }
        } else {
            throw new BadInputException("job setting kind '" + kind + "' is not one of " + TRAIN + ", " + STUDY);
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

    /** A training job: one model with this method. */
    public JobSettings(String method, String architecture, int inputSize, int epochs) {
        this(TRAIN, method, architecture, inputSize, epochs, 0);
    }

    /** A study job: {@link #STUDY_METHODS} over seeds 1 to {@code seeds}. */
    public static JobSettings study(String architecture, int inputSize, int epochs, int seeds) {
        return new JobSettings(STUDY, null, architecture, inputSize, epochs, seeds);
    }

    /**
     * The settings of a JSON object: {@code {method, architecture, inputSize, epochs}} for a training job (with
     * {@code "kind": "train"} or without a kind), {@code {kind: "study", architecture, inputSize, epochs, seeds}} for a
     * study; unknown fields are refused.
     */
    public static JobSettings of(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new BadInputException("job settings must be a JSON object {method, architecture, inputSize, epochs} or "
                    + "{kind: \"study\", architecture, inputSize, epochs, seeds}");
        }
        JsonNode kindNode = json.get("kind");
        if (kindNode != null && !kindNode.isTextual()) {
            throw new BadInputException("job setting kind must be a string: " + TRAIN + " or " + STUDY);
        }
        String kind = kindNode == null ? TRAIN : kindNode.textValue();
        boolean study = STUDY.equals(kind);
        Set<String> fields = study ? STUDY_FIELDS : TRAIN_FIELDS;
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new BadInputException("job setting '" + name + "' is unknown; " + (study ? STUDY_HINT
                        : TRAIN_HINT + " (" + STUDY_HINT + ")"));
            }
        }
        if (study) {
            return new JobSettings(STUDY, null, text(json, "architecture"), whole(json, "inputSize"), whole(json, "epochs"),
                    whole(json, "seeds"));
        }
        return new JobSettings(kind, text(json, "method"), text(json, "architecture"), whole(json, "inputSize"),
                whole(json, "epochs"), 0);
    }

    /** Whether this is a study job. */
    public boolean isStudy() {
        return STUDY.equals(kind);
    }

    /** What the job list calls the job: its training method, or {@value #STUDY}. */
    public String jobKind() {
        return isStudy() ? STUDY : method;
    }

    /** The stages whose epoch lines train prints, in order (baseline; or teacher, then student); a study's: none. */
    public List<String> stages() {
        return isStudy() ? List.of() : TrainingMethods.of(method).stages();
    }

    /** These settings as the JSON object {@link #of} reads (a training job's without its kind, as before studies). */
    public String json() {
        ObjectNode node = Json.MAPPER.createObjectNode();
        if (isStudy()) {
            node.put("kind", STUDY);
        } else {
            node.put("method", method);
        }
        node.put("architecture", architecture);
        node.put("inputSize", inputSize);
        node.put("epochs", epochs);
        if (isStudy()) {
            node.put("seeds", seeds);
        }
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
