package io.pneuknow;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * Ends a child process as soon as the process that started it ends: the parent holds the other end of the child's
 * standard input, so the input closes however the parent ends, kill -9 included. Used by the child JVMs that train
 * (a study cell under Spark, a studio job), so that no cell or job goes on writing its folder with nobody to record it.
 *
 * <p>The child ends by SIGKILL to itself, not {@code Runtime.halt}: HotSpot's halt still calls the C library's
 * {@code exit}, which runs libtorch's static destructors while another thread may be inside the library (loading it,
 * or in an operation). That was seen as a SIGSEGV in {@code c10::operator==} during the library's load and a JVM that
 * never ended ({@code SparkClusterTest}, worker killed while its cell JVM was still loading the engine).
 */
public final class ParentWatch {
    /** The exit status a parent would see (128 + SIGKILL); nobody reads it, the parent is gone. */
    public static final int KILLED = 137;

    private ParentWatch() {
    }

    /**
     * Starts a daemon thread that waits for the end of standard input, then prints {@code lastWords} (if not null) to
     * {@code out} and ends this process at once: no shutdown hooks, no further writes.
     */
    public static void stopWhenInputCloses(PrintStream out, String lastWords) {
        Thread watch = new Thread(() -> {
            try {
                InputStream in = System.in;
                byte[] buffer = new byte[256];
                while (in.read(buffer) >= 0) {
                    // the parent sends nothing; only the end matters
                }
            } catch (IOException e) {
                // a broken pipe: the parent is gone just the same
            }
            if (lastWords != null) {
                out.println(lastWords);
                out.flush();
            }
            killThisProcess();
        }, "parent-watch");
        watch.setDaemon(true);
        watch.start();
    }

    /** SIGKILL to this process (through sh's kill builtin); halts the JVM if that could not be done. */
    static void killThisProcess() {
        try {
            Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -KILL " + ProcessHandle.current().pid())
                    .redirectErrorStream(true).start();
            kill.waitFor(10, TimeUnit.SECONDS);
            Thread.sleep(10_000); // the signal arrives while this thread waits
        } catch (IOException | InterruptedException e) {
            // no shell: halt below
        }
        Runtime.getRuntime().halt(KILLED);
    }
}
