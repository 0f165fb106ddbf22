package io.pneuknow.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.model.ModelCard;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /v1/model} tells about the model: identity, labels, input, intended use and
 * population, provenance, and the validation figures of the kept epoch (the only metrics a model
 * bundle holds; test metrics come from {@code pneuknow evaluate}).
 */
record ModelView(String id, String weightsSha256, List<String> labels, String architecture, String method,
                 int inputSize, int inputChannels, String intendedUse, String population, Provenance provenance,
                 ModelCard.Checkpoint validation, ModelCard.InputStatistics inputStatistics) {

    /** Where the model came from. */
    record Provenance(String createdAt, String command, long seed, String dataFingerprint, Map<String, String> versions,
                      ModelCard.TeacherInfo teacher, ModelCard.Pretrained pretrained, JsonNode configuration) {
    }

    static ModelView of(ModelCard card) {
        return new ModelView(card.id(), card.weightsSha256(), card.labels(), card.architecture(), card.method(),
                card.preprocessing().inputSize(), card.inputChannels(), card.intendedUse(), card.population(),
                new Provenance(card.createdAt(), card.command(), card.seed(), card.dataFingerprint(), card.versions(),
                        card.teacher(), card.pretrained(), card.configuration()),
                card.checkpoint(), card.inputStatistics());
    }
}
