package io.pneuknow.annotate;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The writer of {@link KillDurabilityTest}, run in a child JVM: opens the H2 file, then forever creates a region
 * and edits it, printing {@code ack <region id> <version>} only after each change's transaction committed. With a
 * second argument {@code writeDelay=N} it first sets H2's WRITE_DELAY to N ms (the control).
 */
public final class DurabilityChild {
    private DurabilityChild() {
    }

    /** {@code args}: the H2 file, then optionally {@code writeDelay=N}. */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        AnnotationDatabase database = AnnotationDatabase.open(args[0], null, false);
        AnnotationStore store = new AnnotationStore(database);
        if (args.length > 1 && args[1].startsWith("writeDelay=")) {
            int delay = Integer.parseInt(args[1].substring("writeDelay=".length()));
            store.transaction(connection -> connection.createStatement().execute("SET WRITE_DELAY " + delay));
        }
        Person writer = store.person("writer").orElseThrow();
        out.println("ready " + Path.of(args[0]).getFileName());
        out.flush();
        for (int i = 0; ; i++) {
            StoredRegion region = store.createRegion("a", new RegionDraft("lesion", "n" + i, Geometry.box(i % 50, 0, 1 + i % 7, 3)), writer);
            out.println("ack " + region.id() + " 1");
            out.flush();
            Change<StoredRegion> edited = store.editRegion(region.id(), 1,
                    new RegionDraft("lesion", "n" + i + "-edited", Geometry.box(i % 50, 1, 1 + i % 7, 3)), writer);
            out.println("ack " + region.id() + " " + ((Change.Saved<StoredRegion>) edited).value().version());
            out.flush();
        }
    }
}
