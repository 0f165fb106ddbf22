package io.pneuknow.annotate;

import java.time.Instant;

/**
 * A model in the registry: the job that trained it (null for one registered from elsewhere), its folder, the id
 * and weights hash its model.json gives, method and architecture, its test metrics (JSON), its whole card
 * (model.json), the data fingerprint and annotation snapshot it was trained on, when it was registered, and
 * whether it is the promoted one (the one served).
 */
public record RegisteredModel(long id, Long jobId, String modelFolder, String modelId, String weightsSha256,
                              String method, String architecture, String metrics, String card, String dataFingerprint,
                              String snapshotId, Instant createdAt, boolean promoted) {
    /** What registering a model needs: everything but the row id, the time and the promotion. */
    public record Draft(Long jobId, String modelFolder, String modelId, String weightsSha256, String method,
                        String architecture, String metrics, String card, String dataFingerprint, String snapshotId) {
    }
}
