package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.BadInputException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What every benchmark of one bench run shares: the settings, the report its rows and targets go to, the progress
 * stream, how the peer script is called (its arguments, the time it is given), the idle check before a round, and
 * what each side of the race was seen to run under (collected for the report, with a note when the sides differ).
 */
final class BenchRun {
    /** Seconds the idle check watches the pinned CPUs before a round. */
    static final long IDLE_WINDOW_MILLIS = 3000;

    private final Bench.Settings settings;
    private final BenchReport.Builder report;
    private final PrintStream progress;
    /** Per side and allocator ("ours, tcmalloc rows"), each distinct description of a run's tree, with its count. */
    private final Map<String, Map<String, Integer>> observed = new LinkedHashMap<>();
    private final List<String> idleChecks = new ArrayList<>();
    private final Set<String> unfair = new TreeSet<>();

    BenchRun(Bench.Settings settings, BenchReport.Builder report, PrintStream progress) {
        this.settings = settings;
        this.report = report;
        this.progress = progress;
    }

    /** What to measure. */
    Bench.Settings settings() {
        return settings;
    }

    /** The conditions of the primary rows (the first allocator of --allocator). */
    LaunchConditions primary() {
        return settings.races().get(0);
    }

    /**
     * Before a round: watches the pinned CPUs for {@value #IDLE_WINDOW_MILLIS} ms while nothing of the bench runs;
     * above the busy limit it stops the bench under --require-idle, else warns (progress line and a note).
     */
    MachineLoad idleCheck(String when) throws InterruptedException {
        LaunchConditions c = primary();
        List<Integer> cpus = c.cpus() == null ? List.of() : LaunchConditions.parseCpus(c.cpus());
        MachineLoad load = MachineLoad.measure(cpus, IDLE_WINDOW_MILLIS);
        String cpuList = c.cpus() == null ? "all" : c.cpus();
        idleChecks.add(when + ": " + load.describe(cpuList));
        if (load.busierThan(settings.maxBusy())) {
            String what = String.format(Locale.ROOT, "before %s the pinned CPUs (%s) were %.0f %% busy with other work "
                    + "over %d s (limit %.0f %%, --max-busy; load average %.2f)", when, cpuList, load.busyShare() * 100,
                    IDLE_WINDOW_MILLIS / 1000, settings.maxBusy() * 100, load.loadAverage());
            if (settings.requireIdle()) {
                throw new BadInputException(what + "; stop the other work, or leave out --require-idle for a run that "
                        + "only warns");
            }
            say("WARNING: " + what + "; this round's times are not those of an idle machine");
            report.notes.add("not idle: " + what);
        }
        return load;
    }

    /**
     * Records what one run's process tree was seen to run under (CPUs and malloc of each process, from /proc) with
     * the thread count it reported, and notes a difference from the conditions it was given.
     */
    void observed(String side, LaunchConditions given, ProcessTree.Memory tree, String threads) {
        List<String> members = tree.members().stream().map(ProcessTree.Member::describe).toList();
        String description = (members.isEmpty() ? "no process seen by the sampler" : String.join("; ", members))
                + "; " + threads;
        observed.computeIfAbsent(side + ", " + given.allocator() + " rows", k -> new LinkedHashMap<>())
                .merge(description, 1, Integer::sum);
        for (ProcessTree.Member m : tree.members()) {
            if (given.cpus() != null && m.cpus() != null
                    && !LaunchConditions.parseCpus(m.cpus()).equals(LaunchConditions.parseCpus(given.cpus()))) {
                unfair.add(side + "'s " + m.name() + " ran on CPUs " + m.cpus() + ", not " + given.cpus());
            }
            boolean tc = m.allocator().startsWith(LaunchConditions.TCMALLOC);
            // a static helper (ldconfig) maps no malloc library whatever LD_PRELOAD says; "unknown": it ended meanwhile
            boolean applies = !m.allocator().equals(ProcessTree.STATIC) && !m.allocator().equals("unknown");
            if (applies && tc != (given.preload() != null)) {
                unfair.add(side + "'s " + m.name() + " ran with " + m.allocator() + ", not " + given.allocator());
            }
        }
        if (!threads.endsWith(" " + given.threads())) {
            unfair.add(side + " reported " + threads + ", not " + given.threads());
        }
    }

    /** Writes the given and observed conditions, the idle checks and any unfairness into the report. */
    void reportConditions() {
        for (LaunchConditions c : settings.races()) {
            report.conditions.put("given, " + c.allocator() + " rows", c.describe());
        }
        observed.forEach((key, descriptions) -> {
            List<String> parts = new ArrayList<>();
            descriptions.forEach((d, n) -> parts.add(d + " (" + n + " run" + (n == 1 ? "" : "s") + ")"));
            report.conditions.put("seen, " + key, String.join(" | ", parts));
        });
        if (!idleChecks.isEmpty()) {
            report.conditions.put("idle checks before the rounds", String.join("; ", idleChecks));
        }
        report.conditions.put("fair (same allocator, CPUs and threads seen on both sides)", unfair.isEmpty() ? "yes"
                : "NO: " + String.join("; ", unfair));
        if (!unfair.isEmpty()) {
            report.notes.add("the race was not run as given: " + String.join("; ", unfair));
        }
    }

    /** Where rows, targets and notes are collected. */
    BenchReport.Builder report() {
        return report;
    }

    /** Tells the user what is being measured now (one progress line). */
    void say(String what) {
        progress.println("bench: " + what);
        progress.flush();
    }

    /** Seconds a peer run or a child JVM may take. */
    int timeout() {
        return settings.quick() ? 600 : 7200;
    }

    /** The peer's arguments at the bench's size: one warm-up epoch, then {@code repeats} timed ones. */
    List<String> peerArgs(BenchData data, String model, String mode, int classes) {
        return peerArgs(data, model, mode, classes, settings.size(), 1, settings.repeats());
    }

    /** The peer's arguments: the data folder, model, size, classes, threads, one loader worker, epochs and mode. */
    List<String> peerArgs(BenchData data, String model, String mode, int classes, int size, int warmup, int epochs) {
        return List.of("--data", data.dir().toAbsolutePath().toString(), "--model", model, "--size",
                Integer.toString(size), "--num-classes", Integer.toString(classes), "--threads",
                Integer.toString(settings.threads()), "--workers", "1", "--warmup-epochs", Integer.toString(warmup),
                "--epochs", Integer.toString(epochs), "--mode", mode);
    }

    /** Whether the peer script has this architecture (torchvision's resnets and two ConvNeXts). */
    static boolean peerSupports(String model) {
        return model.startsWith("resnet") && !model.endsWith("_half") || model.equals("convnext_tiny")
                || model.equals("convnext_small");
    }

    /** A JSON array of numbers as doubles. */
    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
