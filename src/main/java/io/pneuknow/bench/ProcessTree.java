package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A process and its descendants, read from a {@code /proc} tree (Linux; a parameter, so the tests can give a
 * hand-made one): who is in it (from {@code /proc/PID/task/TID/children}), their memory and the conditions each
 * runs under (its CPUs and the malloc mapped into it).
 *
 * <p>Memory of the tree, the same method for ours and the peer (issue 21): {@link Sampler} reads every member's
 * {@code VmRSS} every {@code interval} and keeps the largest <b>sum</b> seen (the primary figure: the tree's resident
 * memory at one moment), and each member's largest {@code VmHWM} (its own peak, kept by the kernel between samples),
 * whose sum is an <b>upper bound</b> of the tree's peak (the members' peaks may fall at different moments). Both
 * count pages a forked worker shares with its parent (the peer's DataLoader worker) in each process; so for a tree
 * of several processes both read high, never low. Ours is one process (the loader is a thread), so for ours the
 * bound is its exact peak. The conditions of a member are read at its second sighting (see {@link Sampler#sample}),
 * so only processes that lived at least one interval are listed.
 */
final class ProcessTree {
    private final Path proc;

    ProcessTree(Path proc) {
        this.proc = proc;
    }

    /** This machine's /proc. */
    static ProcessTree system() {
        return new ProcessTree(Path.of("/proc"));
    }

    /** The process and its descendants, the root first (breadth first); only the root when it has no children file. */
    List<Long> members(long root) {
        Set<Long> seen = new LinkedHashSet<>();
        Deque<Long> queue = new ArrayDeque<>(List.of(root));
        while (!queue.isEmpty()) {
            long pid = queue.poll();
            if (!seen.add(pid) || !Files.isDirectory(proc.resolve(Long.toString(pid)))) {
                continue;
            }
            for (long child : children(pid)) {
                queue.add(child);
            }
        }
        seen.removeIf(pid -> !Files.isDirectory(proc.resolve(Long.toString(pid))));
        return new ArrayList<>(seen);
    }

    private List<Long> children(long pid) {
        List<Long> out = new ArrayList<>();
        Path tasks = proc.resolve(Long.toString(pid)).resolve("task");
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path task : threads.toList()) {
                try {
                    for (String word : Files.readString(task.resolve("children")).trim().split("\\s+")) {
                        if (!word.isEmpty()) {
                            out.add(Long.parseLong(word));
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // the thread ended meanwhile, or no children file
                }
            }
        } catch (IOException e) {
            // the process ended meanwhile
        }
        return out;
    }

    /** A kB field of PROC/PID/status ({@code VmRSS}, {@code VmHWM}); -1 where unavailable. */
    long statusKb(long pid, String field) {
        String v = status(pid, field);
        try {
            return v == null ? -1 : Long.parseLong(v.split("\\s+")[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A field of PROC/PID/status as text ({@code Name}, {@code Cpus_allowed_list}); null where unavailable. */
    String status(long pid, String field) {
        String name = field + ":";
        try {
            for (String line : Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("status"))) {
                if (line.startsWith(name)) {
                    return line.substring(name.length()).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /**
     * The malloc mapped into a process (from PROC/PID/maps): "tcmalloc (path)", "jemalloc (path)", "glibc malloc", or
     * {@value #STATIC} for a process that maps no shared library (such as ldconfig, which the JVM runs now and then:
     * LD_PRELOAD does not apply to it).
     */
    String allocator(long pid) {
        try {
            // shared libraries: files named *.so or *.so.N mapped executable (not data such as /etc/ld.so.cache,
            // which the static ldconfig maps read-only)
            List<String> libraries = Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("maps")).stream()
                    .filter(l -> l.split("\\s+").length > 1 && l.split("\\s+")[1].contains("x"))
                    .map(l -> l.indexOf('/') < 0 ? "" : l.substring(l.indexOf('/')).strip())
                    .filter(p -> p.substring(p.lastIndexOf('/') + 1).matches(".*\\.so(\\.[0-9.]+)?")).toList();
            if (libraries.isEmpty()) {
                return STATIC;
            }
            return libraries.stream().filter(LaunchConditions::isMallocLibrary).findFirst()
                    .map(p -> {
                        String file = p.substring(p.lastIndexOf('/') + 4);
                        int cut = file.indexOf('.');
                        String name = cut < 0 ? file : file.substring(0, cut);
                        return (name.startsWith("tcmalloc") ? "tcmalloc" : name) + " (" + p + ")";
                    })
                    .orElse(LaunchConditions.GLIBC);
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The allocator of a process that maps no shared library. */
    static final String STATIC = "static binary (no shared libraries)";

    /** What a process of the tree ran under: its name, the CPUs it may use and the malloc mapped into it. */
    record Member(long pid, String name, String cpus, String allocator) {
        /** "name: CPUs 0-1, tcmalloc (...)" (without the pid, so that runs can be compared). */
        String describe() {
            return name + ": CPUs " + cpus + ", " + allocator;
        }
    }

    /**
     * The tree's memory over a run, kB, and its members' conditions; {@code peakAnonSumKb} and {@code peakFileSumKb}:
     * the sums of RssAnon and RssFile in the sample of the peak (what of it was anonymous memory, what mapped files).
     */
    record Memory(long peakRssSumKb, long hwmSumKb, int samples, List<Member> members, long peakAnonSumKb,
                  long peakFileSumKb) {
        double peakRssSumMiB() {
            return peakRssSumKb / 1024.0;
        }

        double hwmSumMiB() {
            return hwmSumKb / 1024.0;
        }
    }

    /** Samples a running tree in a daemon thread until {@link #stop}. */
    final class Sampler {
        private final long root;
        private final long intervalMillis;
        private final Map<Long, Long> hwm = new LinkedHashMap<>();
        private final Map<Long, Member> members = new LinkedHashMap<>();
        private final Map<String, Integer> sightings = new LinkedHashMap<>();
        private final Thread thread;
        private long peakRssSum;
        private long peakAnonSum;
        private long peakFileSum;
        private int samples;
        private volatile boolean running = true;

        Sampler(long root, long intervalMillis) {
            this.root = root;
            this.intervalMillis = intervalMillis;
            this.thread = new Thread(this::loop, "tree-sampler-" + root);
            thread.setDaemon(true);
        }

        Sampler start() {
            thread.start();
            return this;
        }

        private void loop() {
            while (running) {
                sample();
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** One sample: the members' VmRSS summed, their VmHWM, and the conditions of a member not yet seen. */
        synchronized void sample() {
            long sum = 0;
            long anon = 0;
            long file = 0;
            boolean any = false;
            for (long pid : members(root)) {
                long rss = statusKb(pid, "VmRSS");
                if (rss < 0) {
                    continue;
                }
                any = true;
                sum += rss;
                anon += Math.max(0, statusKb(pid, "RssAnon"));
                file += Math.max(0, statusKb(pid, "RssFile"));
                hwm.merge(pid, Math.max(rss, statusKb(pid, "VmHWM")), Math::max);
                String name = status(pid, "Name");
                // a member's conditions are read at its second sighting, one interval after the first: a process
                // seen once may be between its exec and the loader's mapping of LD_PRELOAD ("taskset" itself execs
                // the real command under the same pid), and one that lives under an interval (a helper such as
                // ldconfig) is counted in the memory but not in the conditions
                int seen = sightings.merge(pid + ":" + name, 1, Integer::sum);
                if (!members.containsKey(pid) && seen == 2 && name != null && !name.equals("taskset")) {
                    members.put(pid, new Member(pid, name, status(pid, "Cpus_allowed_list"), allocator(pid)));
                }
            }
            if (any) {
                samples++;
                if (sum > peakRssSum) {
                    peakRssSum = sum;
                    peakAnonSum = anon;
                    peakFileSum = file;
                }
            }
        }

        /** Stops sampling and returns what was seen (call after the process ended: a last sample is not possible then). */
        Memory stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join();
            synchronized (this) {
                return new Memory(peakRssSum, hwm.values().stream().mapToLong(Long::longValue).sum(), samples,
                        List.copyOf(members.values()), peakAnonSum, peakFileSum);
            }
        }
    }

    /** A sampler of the tree rooted at {@code root}, not yet started. */
    Sampler sampler(long root, long intervalMillis) {
        return new Sampler(root, intervalMillis);
    }
}
