package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.pneuknow.train.EngineThreads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI guard of issue 21 (item 4): a tiny same-allocator race of ours against the peer, through the bench's own
 * code ({@link ThroughputBench#compare}: both sides child processes under the same {@link LaunchConditions}, pinned
 * to the same CPUs, alternating rounds), which fails only when ours / peer falls <b>far</b> below parity. It asserts
 * no absolute time; it cannot pass vacuously: both sides must have timed every epoch of every round with a positive
 * rate (else the bench itself throws), and the conditions seen in /proc must be the same on both sides.
 *
 * <p>The race: ResNet-18 at {@value #SIZE} px, {@value #STEPS} batches of 16 per epoch, 1 warm-up + {@value #REPEATS}
 * timed epochs per side, {@value #ROUNDS} rounds, 2 threads, tcmalloc on both sides where installed (CI installs
 * it), else glibc's malloc on both. The statistic is the geometric mean of the rounds' ratios.
 *
 * <p>The margin, {@value #MARGIN}, and the spread it was chosen from: 8 runs of this test on 2026-12-07, 11:29-11:51
 * UTC, on the development VM (2 vCPUs AMD EPYC Zen 5, Firecracker), <b>shared with a training study and other
 * sessions' builds: load average 4-14, the pinned CPUs 23-100 % busy in the idle checks</b>, so these are noisy
 * figures, not those of an idle machine. Geometric means of the 3 rounds: 0.748, 0.539, 0.517, 0.777, 0.923, 0.848,
 * 0.715, 0.740 (their own geometric mean 0.713, standard deviation of the logs 0.203); the 24 single rounds 0.28 to
 * 1.07, median 0.76. The margin is 1.5x below the lowest run (0.517 / 1.5 = 0.345), i.e. 3.5 standard deviations of
 * the logs below their mean: a regression that makes our step about twice as slow against the peer fails it, this
 * machine's noise did not come near it (a ninth run, after the margin was set, under load 6.6-8.2: 0.626). At this tiny size ours is below the peer even in the quietest rounds (0.8-1.0;
 * issue 16 measured 0.92 at 224 px), so the guard is about "far below", never about reaching parity. Ours trains 66
 * images an epoch (22 per class; its last batch has 2), the peer 64 (drop_last); each side's images/s counts its own.
 *
 * <p>The peer needs /usr/bin/python3 with Debian's python3-torch and python3-torchvision; without them the test is
 * skipped, unless {@code -Dpneuknow.requireHeavy=true} (CI), which makes it fail.
 */
@Tag("heavy")
class RaceGuardTest {
    /** Ours / peer below this fails the guard. */
    static final double MARGIN = 0.35;
    static final int SIZE = 96;
    static final int STEPS = 4;
    static final int REPEATS = 2;
    static final int ROUNDS = 3;

    @TempDir
    Path dir;

    @Test
    void oursAgainstThePeerOnTheSameAllocatorIsNotFarBelowParity() throws Exception {
        String missing = BenchCommandTest.peerMissing();
        if (missing != null) {
            if (Boolean.getBoolean("pneuknow.requireHeavy")) {
                fail("pneuknow.requireHeavy=true but " + missing);
            }
            org.junit.jupiter.api.Assumptions.abort(missing);
        }
        int threads = Math.min(2, Runtime.getRuntime().availableProcessors());
        List<LaunchConditions> races = Bench.races(null, true, null, threads);
        Path script = PeerScript.locate(null);
        Bench.Settings settings = new Bench.Settings(threads, REPEATS, ROUNDS, List.of("resnet18"), SIZE, STEPS, true,
                "/usr/bin/python3", script, true, 1, "resnet18", SIZE, "tiny_cnn", 64, 1, 4, null, null, dir,
                "RaceGuardTest", races, 1.0, false, List.of());
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        BenchReport.Builder report = new BenchReport.Builder();
        BenchRun run = new BenchRun(settings, report, new PrintStream(progress, true, StandardCharsets.UTF_8));
        EngineThreads.set(threads);
        BenchData data = BenchData.generate(dir.resolve("data"), SIZE, STEPS);
        PeerScript peer = new PeerScript(settings.python(), script, dir.resolve("peer-logs"));
        ThroughputBench bench = new ThroughputBench(run, data, data.dataset().classes().size(),
                CpuPeak.of(threads, null, null));

        bench.compare("resnet18", false, peer, races.get(0), true);
        run.reportConditions();

        BenchReport built = report.build("now", "RaceGuardTest");
        double[] ours = runsOf(built, "train.resnet18.ours");
        double[] theirs = runsOf(built, "train.resnet18.peer");
        double[] ratios = runsOf(built, "train.resnet18.ratio");
        Stats.RatioInterval ratio = bench.ratio("resnet18");
        String seen = "ours " + Arrays.toString(ours) + " images/s, peer " + Arrays.toString(theirs)
                + " images/s, per-round ratios " + Arrays.toString(ratios) + ", " + ratio.describe() + "; "
                + races.get(0).describe() + "; conditions " + built.conditions();
        System.out.println("RaceGuardTest: " + seen);
        assertThat(ours).as(seen).hasSize(ROUNDS * REPEATS);
        assertThat(theirs).as(seen).hasSize(ROUNDS * REPEATS);
        assertThat(Arrays.stream(ours).allMatch(x -> x > 0 && Double.isFinite(x))).as(seen).isTrue();
        assertThat(Arrays.stream(theirs).allMatch(x -> x > 0 && Double.isFinite(x))).as(seen).isTrue();
        assertThat(ratios).as(seen).hasSize(ROUNDS);
        assertThat(built.conditions().get("fair (same allocator, CPUs and threads seen on both sides)"))
                .as(seen).isEqualTo("yes");
        assertThat(ratio.center()).as("ours / peer, geometric mean of %d rounds, must not fall below %s; %s", ROUNDS,
                MARGIN, seen).isGreaterThanOrEqualTo(MARGIN);
    }

    private static double[] runsOf(BenchReport report, String id) {
        return report.rows().stream().filter(r -> r.id().equals(id)).findFirst()
                .map(r -> r.runs().stream().mapToDouble(Double::doubleValue).toArray())
                .orElseThrow(() -> new AssertionError("no row " + id + " in " + report.rows()));
    }
}
