package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process or another from /proc/PID/status (Linux), in kB; -1 where unavailable; and
 * this process's malloc.
 */
public final class ProcMemory {
    private ProcMemory() {
    }

    /** Current resident set size (VmRSS), kB. */
    static long rssKb() {
        return statusKb("self", "VmRSS");
    }

    /** Peak resident set size so far (VmHWM), kB. */
    static long peakRssKb() {
        return statusKb("self", "VmHWM");
    }

    /** Java heap in use after a full collection request, bytes. */
    static long heapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /**
     * The malloc this process uses: a tcmalloc or jemalloc library mapped into it (preloaded, e.g. by the
     * launcher), else glibc's; "unknown" without /proc.
     */
    static String allocator() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String path = line.substring(line.lastIndexOf(' ') + 1);
                String file = path.substring(path.lastIndexOf('/') + 1);
                if (file.startsWith("libtcmalloc") || file.startsWith("libjemalloc")) {
                    return file.substring(3, file.indexOf('.')) + " (" + path + ")";
                }
            }
            return "glibc malloc";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * A kB field of {@code /proc/PROCESS/status} ({@code VmRSS}, {@code VmHWM}, ...) of a process id or
     * {@code self}; -1 where unavailable (not Linux, no such field, or the process is gone).
     */
    public static long statusKb(String process, String field) {
        String name = field + ":";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process + "/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
