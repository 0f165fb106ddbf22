package io.pneuknow.annotate;

import java.time.Instant;

/**
 * A training job as stored: its kind (baseline or hkd), the training settings the page chose (JSON), the annotation
 * snapshot it froze (SHA-256 of its regions CSV; null before it froze one), its state, who started it and when, its
 * folder (null before it started), progress in 0..1 and the last message worth showing (null when none).
 */
public record Job(long id, String kind, String settings, String snapshotId, JobState state, String createdBy,
                  Instant createdAt, Instant startedAt, Instant finishedAt, String outputFolder, double progress,
                  String message) {
}
