package io.pneuknow.cli;

import io.pneuknow.ParentWatch;

/**
 * The entry point of a studio job's child JVM ({@code io.pneuknow.jobs.JobRunner}): runs a command line as
 * {@link Main} does, and ends the process as soon as its standard input closes, which happens when the studio that
 * started it ends in any way (kill -9 included). A job is never left training with nobody to record it, and a
 * studio started again resumes it without a second process writing the same folder.
 */
public final class StudioJobChild {
    private StudioJobChild() {
    }

    /** Watches standard input, then runs {@code args} as {@code pneuknow} would and exits with its code. */
    public static void main(String[] args) {
        ParentWatch.stopWhenInputCloses(System.err, null);
        System.exit(Main.run(args));
    }
}
