package io.pneuknow.annotate;

import java.util.Locale;

/** Where a training job stands: waiting its turn, running in its own JVM, or ended (done, failed, cancelled). */
public enum JobState {
    QUEUED, RUNNING, DONE, FAILED, CANCELLED;

    /** The name stored in the database and shown to users. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the job has ended and will not change again. */
    public boolean ended() {
        return this == DONE || this == FAILED || this == CANCELLED;
    }

    static JobState of(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
