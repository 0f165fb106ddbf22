package io.pneuknow.annotate;

import java.util.Locale;

/** A reviewer's verdict on a region's current version; every edit sets it back to pending. */
public enum ReviewState {
    PENDING, ACCEPTED, REJECTED;

    /** The name stored in the database. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    static ReviewState of(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
