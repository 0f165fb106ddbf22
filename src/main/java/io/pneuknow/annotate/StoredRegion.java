package io.pneuknow.annotate;

import java.time.Instant;

/**
 * A region as the database holds it now (or, in a conflict, as an editor wanted it).
 *
 * @param author    the name of the person who created it
 * @param version   counts its changes from 1; an edit names the version it started from
 * @param reviewer  the name of the reviewer of its current state, or null
 * @param updatedAt when its current version was written
 */
public record StoredRegion(long id, String imageId, RegionDraft draft, String author, int version, boolean deleted,
                           ReviewState review, String reviewer, Instant updatedAt) {
}
