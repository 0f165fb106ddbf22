package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from /proc/self/status (Linux), in kB; -1 where unavailable. */
final class ProcMemory {
    private ProcMemory() {
    }

    /** Current resident set size (VmRSS), kB. */
    static long rssKb() {
        return field("VmRSS:");
    }

    /** Peak resident set size so far (VmHWM), kB. */
    static long peakRssKb() {
        return field("VmHWM:");
    }

    /** Java heap in use after a full collection request, bytes. */
    static long heapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
