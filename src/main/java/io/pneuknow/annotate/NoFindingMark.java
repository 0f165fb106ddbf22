package io.pneuknow.annotate;

import java.time.Instant;

/** An image's "no finding" mark as it stands: marked or withdrawn, its version (0: never marked), who and when. */
public record NoFindingMark(String imageId, boolean marked, int version, String changedBy, Instant changedAt) {
}
