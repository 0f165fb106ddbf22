package io.pneuknow.bench;

import io.pneuknow.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * How each side of the race is started (issue 21): ours (a child JVM) and the peer (python) get the very same
 * conditions, so that the ratio is PneuKnow's and not the launch environment's.
 *
 * <ul>
 *   <li>the allocator: {@code LD_PRELOAD} of tcmalloc ({@code preload}) for both, or of nothing (glibc's malloc) for
 *       both; other preloads the user set stay, for both; the launcher's marker {@code PNEUKNOW_PRELOAD} is dropped;</li>
 *   <li>the threads: {@code OMP_NUM_THREADS} and {@code MKL_NUM_THREADS} = {@code threads}, and
 *       {@code OMP_WAIT_POLICY} as the bench's own environment has it, else {@code PASSIVE} (what the launcher sets for
 *       ours); each side is also told its thread count on its command line (ours: the engine's intra-op threads; the
 *       peer: {@code --threads}, i.e. {@code torch.set_num_threads});</li>
 *   <li>the CPUs: the command is started through {@code taskset -c cpus}, so the process and everything it starts
 *       (the peer's DataLoader worker, our loader thread) inherit the same CPU set; {@code cpus} null: not pinned.</li>
 * </ul>
 *
 * @param allocator "tcmalloc" or "glibc malloc"
 * @param preload the allocator library given in {@code LD_PRELOAD}; null for glibc's malloc
 * @param cpus the CPU list given to {@code taskset -c} (e.g. "0,1"); null: not pinned
 * @param threads the thread count both sides are given
 */
public record LaunchConditions(String allocator, String preload, String cpus, int threads) {
    static final String TCMALLOC = "tcmalloc";
    static final String GLIBC = "glibc malloc";
    /** Where Debian and Red Hat put tcmalloc (libtcmalloc-minimal4), in the launcher's order. */
    static final List<String> TCMALLOC_CANDIDATES = List.of("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
            "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4", "/usr/lib64/libtcmalloc_minimal.so.4");
    private static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");

    /** The command as started: behind {@code taskset -c cpus} when pinned. */
    List<String> command(List<String> command) {
        if (cpus == null) {
            return List.copyOf(command);
        }
        List<String> out = new ArrayList<>(List.of("taskset", "-c", cpus));
        out.addAll(command);
        return out;
    }

    /** Sets the allocator and thread variables in a child's environment (a copy of the bench's). */
    void applyTo(Map<String, String> env) {
        env.remove("PNEUKNOW_PRELOAD");
        List<String> kept = new ArrayList<>();
        String given = env.get("LD_PRELOAD");
        if (given != null) {
            for (String lib : given.split("[: ]")) {
                if (!lib.isBlank() && !isMallocLibrary(lib)) {
                    kept.add(lib);
                }
            }
        }
        if (preload != null) {
            kept.add(0, preload);
        }
        if (kept.isEmpty()) {
            env.remove("LD_PRELOAD");
        } else {
            env.put("LD_PRELOAD", String.join(":", kept));
        }
        env.put("OMP_NUM_THREADS", Integer.toString(threads));
        env.put("MKL_NUM_THREADS", Integer.toString(threads));
        String wait = env.get("OMP_WAIT_POLICY");
        env.put("OMP_WAIT_POLICY", wait == null || wait.isBlank() ? "PASSIVE" : wait);
    }

    /** One line for the report: allocator, preload, threads, CPUs. */
    String describe() {
        return allocator + (preload == null ? " (no LD_PRELOAD of an allocator)" : " (LD_PRELOAD=" + preload + ")")
                + ", OMP_NUM_THREADS=MKL_NUM_THREADS=" + threads + ", "
                + (cpus == null ? "not pinned" : "taskset -c " + cpus);
    }

    /** Whether a library path is a malloc replacement (tcmalloc, jemalloc, mimalloc). */
    static boolean isMallocLibrary(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        return file.startsWith("libtcmalloc") || file.startsWith("libjemalloc") || file.startsWith("libmimalloc");
    }

    /**
     * The tcmalloc to give both sides: the one mapped into this process (the launcher's preload, seen in
     * {@code /proc/self/maps}), else the first installed candidate; null when there is none.
     *
     * @param ownMaps the lines of this process's {@code /proc/self/maps} (empty where unreadable)
     * @param exists whether a file exists (a parameter for the tests)
     */
    static String tcmalloc(List<String> ownMaps, Predicate<String> exists) {
        for (String line : ownMaps) {
            int slash = line.indexOf('/');
            if (slash >= 0) {
                String path = line.substring(slash).strip();
                String file = path.substring(path.lastIndexOf('/') + 1);
                if (file.startsWith("libtcmalloc") && !file.contains("debug")) {
                    return path;
                }
            }
        }
        return TCMALLOC_CANDIDATES.stream().filter(exists).findFirst().orElse(null);
    }

    /** {@link #tcmalloc(List, Predicate)} for this process and this file system. */
    static String tcmalloc() {
        List<String> maps;
        try {
            maps = Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (IOException | RuntimeException e) {
            maps = List.of();
        }
        return tcmalloc(maps, p -> Files.isRegularFile(Path.of(p)));
    }

    /** The allocators of an {@code --allocator} mode, the primary (whose rows carry the targets) first. */
    static List<String> allocators(String mode) {
        return switch (mode) {
            case "tcmalloc" -> List.of(TCMALLOC);
            case "system" -> List.of(GLIBC);
            case "both" -> List.of(TCMALLOC, GLIBC);
            default -> throw new BadInputException("--allocator must be tcmalloc, system or both, got '" + mode + "'");
        };
    }

    /**
     * The conditions of each allocator of a mode, in order (primary first).
     *
     * @param tcmallocPath the tcmalloc library ({@link #tcmalloc()}); null when not installed
     * @param explicit whether the user asked for the mode (else a default, which falls back to glibc without tcmalloc)
     */
    static List<LaunchConditions> of(String mode, boolean explicit, String tcmallocPath, String cpus, int threads) {
        List<String> allocators = allocators(mode);
        if (allocators.contains(TCMALLOC) && tcmallocPath == null) {
            if (explicit) {
                throw new BadInputException("--allocator " + mode + ": libtcmalloc_minimal.so.4 is not installed; "
                        + "apt-get install libtcmalloc-minimal4, or give --allocator system");
            }
            allocators = List.of(GLIBC);
        }
        List<LaunchConditions> out = new ArrayList<>();
        for (String a : allocators) {
            out.add(new LaunchConditions(a, a.equals(TCMALLOC) ? tcmallocPath : null, cpus, threads));
        }
        return out;
    }

    /** The CPUs of a list such as "0-2,5" (Linux's cpulist format), in order. */
    static List<Integer> parseCpus(String list) {
        String s = list.strip();
        if (!CPU_LIST.matcher(s).matches()) {
            throw new BadInputException("--cpus must be a CPU list such as 0,1 or 0-3, got '" + list + "'");
        }
        TreeSet<Integer> out = new TreeSet<>();
        for (String part : s.split(",")) {
            String[] ends = part.split("-");
            int lo = Integer.parseInt(ends[0]);
            int hi = Integer.parseInt(ends[ends.length - 1]);
            if (hi < lo) {
                throw new BadInputException("--cpus: the range " + part + " runs backwards; write " + hi + "-" + lo);
            }
            for (int c = lo; c <= hi; c++) {
                out.add(c);
            }
        }
        return List.copyOf(out);
    }

    /**
     * The CPU list both sides are pinned to: {@code given} (checked against the CPUs this process may use), else
     * the first {@code threads} CPUs this process may use ({@code allowed}, Linux's Cpus_allowed_list).
     */
    static String cpus(String given, String allowed, int threads) {
        List<Integer> may = parseCpus(allowed);
        if (given != null) {
            List<Integer> asked = parseCpus(given);
            for (int c : asked) {
                if (!may.contains(c)) {
                    throw new BadInputException("--cpus " + given + ": CPU " + c + " is not one this process may use ("
                            + allowed + "); give CPUs from that list");
                }
            }
            return join(asked);
        }
        return join(may.subList(0, Math.min(threads, may.size())));
    }

    private static String join(List<Integer> cpus) {
        return String.join(",", cpus.stream().map(String::valueOf).toList());
    }

    /** This process's Cpus_allowed_list from /proc/self/status; null where unreadable. */
    static String allowedCpus() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return line.substring("Cpus_allowed_list:".length()).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** Whether {@code taskset} can be run (util-linux). */
    static boolean tasksetAvailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "taskset"))) {
                return true;
            }
        }
        return false;
    }
}
