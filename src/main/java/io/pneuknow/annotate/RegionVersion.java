package io.pneuknow.annotate;

import java.time.Instant;

/**
 * One kept version of a region: who made which change when, and the region as it stood after it (its
 * geometry, type, label, deleted flag and review state). Versions are never changed or removed.
 */
public record RegionVersion(long regionId, int version, String change, String changedBy, Instant changedAt,
                            RegionDraft draft, boolean deleted, ReviewState review) {
}
