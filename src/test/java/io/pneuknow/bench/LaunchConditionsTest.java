package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What each side of the race is given (issue 21): the same LD_PRELOAD, thread variables and taskset, per --allocator. */
class LaunchConditionsTest {
    private static final String TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";

    /** The environment the bench's JVM has when the launcher started it: tcmalloc preloaded, its marker set. */
    private static Map<String, String> launcherEnvironment() {
        return new HashMap<>(Map.of("PNEUKNOW_PRELOAD", TCMALLOC, "LD_PRELOAD", TCMALLOC + ":/opt/mine.so",
                "PATH", "/usr/bin", "OMP_WAIT_POLICY", "PASSIVE"));
    }

    @Test
    void bothMeansTcmallocRowsFirstThenGlibcAndBothSidesGetTheSameEnvironmentAndCommand() {
        List<LaunchConditions> races = LaunchConditions.of("both", true, TCMALLOC, "0,1", 2);
        assertThat(races).extracting(LaunchConditions::allocator).containsExactly("tcmalloc", "glibc malloc");

        LaunchConditions tc = races.get(0);
        Map<String, String> ours = launcherEnvironment();
        Map<String, String> peer = launcherEnvironment();
        tc.applyTo(ours);
        tc.applyTo(peer);
        assertThat(ours).isEqualTo(peer).isEqualTo(Map.of("LD_PRELOAD", TCMALLOC + ":/opt/mine.so", "PATH", "/usr/bin",
                "OMP_WAIT_POLICY", "PASSIVE", "OMP_NUM_THREADS", "2", "MKL_NUM_THREADS", "2"));
        assertThat(tc.command(List.of("/usr/bin/python3", "bench/peer_train.py", "--threads", "2")))
                .containsExactly("taskset", "-c", "0,1", "/usr/bin/python3", "bench/peer_train.py", "--threads", "2");
        assertThat(tc.command(List.of("java", "-cp", "x", "io.pneuknow.bench.MemoryProbe")))
                .containsExactly("taskset", "-c", "0,1", "java", "-cp", "x", "io.pneuknow.bench.MemoryProbe");

        // glibc rows: the allocator is taken out for both, the user's own preload stays for both
        Map<String, String> glibc = launcherEnvironment();
        races.get(1).applyTo(glibc);
        assertThat(glibc).isEqualTo(Map.of("LD_PRELOAD", "/opt/mine.so", "PATH", "/usr/bin", "OMP_WAIT_POLICY", "PASSIVE",
                "OMP_NUM_THREADS", "2", "MKL_NUM_THREADS", "2"));
        assertThat(races.get(1).command(List.of("java"))).containsExactly("taskset", "-c", "0,1", "java");
    }

    @Test
    void tcmallocModeAddsThePreloadWhereTheBenchHadNoneAndSystemModeRemovesEveryMalloc() {
        LaunchConditions tc = LaunchConditions.of("tcmalloc", true, TCMALLOC, "3", 1).get(0);
        Map<String, String> plain = new HashMap<>(Map.of("PATH", "/usr/bin"));
        tc.applyTo(plain);
        // no OMP_WAIT_POLICY in the bench's environment: PASSIVE, as the launcher sets for ours
        assertThat(plain).isEqualTo(Map.of("PATH", "/usr/bin", "LD_PRELOAD", TCMALLOC, "OMP_NUM_THREADS", "1",
                "MKL_NUM_THREADS", "1", "OMP_WAIT_POLICY", "PASSIVE"));
        assertThat(tc.describe()).isEqualTo("tcmalloc (LD_PRELOAD=" + TCMALLOC
                + "), OMP_NUM_THREADS=MKL_NUM_THREADS=1, taskset -c 3");

        LaunchConditions system = LaunchConditions.of("system", true, TCMALLOC, null, 4).get(0);
        Map<String, String> mallocs = new HashMap<>(Map.of("LD_PRELOAD", "/x/libjemalloc.so.2 " + TCMALLOC,
                "OMP_WAIT_POLICY", "ACTIVE"));
        system.applyTo(mallocs);
        // the user's own wait policy is kept, for both sides alike
        assertThat(mallocs).isEqualTo(Map.of("OMP_WAIT_POLICY", "ACTIVE", "OMP_NUM_THREADS", "4", "MKL_NUM_THREADS", "4"));
        // not pinned: the command as it is
        assertThat(system.command(List.of("python3", "x.py"))).containsExactly("python3", "x.py");
        assertThat(system.describe()).isEqualTo("glibc malloc (no LD_PRELOAD of an allocator), "
                + "OMP_NUM_THREADS=MKL_NUM_THREADS=4, not pinned");
    }

    @Test
    void withoutTcmallocTheDefaultFallsBackToGlibcAndAnExplicitModeIsRefused() {
        assertThat(LaunchConditions.of("both", false, null, "0", 1)).extracting(LaunchConditions::allocator)
                .containsExactly("glibc malloc");
        assertThatThrownBy(() -> LaunchConditions.of("tcmalloc", true, null, "0", 1))
                .isInstanceOf(BadInputException.class)
                .hasMessage("--allocator tcmalloc: libtcmalloc_minimal.so.4 is not installed; apt-get install "
                        + "libtcmalloc-minimal4, or give --allocator system");
        assertThatThrownBy(() -> LaunchConditions.allocators("jemalloc")).isInstanceOf(BadInputException.class)
                .hasMessage("--allocator must be tcmalloc, system or both, got 'jemalloc'");
    }

    @Test
    void theTcmallocGivenIsTheOneThisProcessHasMappedElseTheFirstInstalled() {
        List<String> maps = List.of(
                "7f00-7f10 r-xp 00000000 08:01 123  /usr/lib/x86_64-linux-gnu/libc.so.6",
                "7f20-7f30 r-xp 00000000 08:01 456  /opt/gperf/lib/libtcmalloc_minimal.so.4.5.10",
                "7ffd-7ffe rw-p 00000000 00:00 0    [stack]");
        assertThat(LaunchConditions.tcmalloc(maps, p -> false)).isEqualTo("/opt/gperf/lib/libtcmalloc_minimal.so.4.5.10");
        assertThat(LaunchConditions.tcmalloc(List.of(maps.get(0)), Set.of("/usr/lib64/libtcmalloc_minimal.so.4")::contains))
                .isEqualTo("/usr/lib64/libtcmalloc_minimal.so.4");
        assertThat(LaunchConditions.tcmalloc(List.of(), p -> false)).isNull();
    }

    @Test
    void theCpusAreTheFirstThreadsAllowedOrTheGivenListChecked() {
        assertThat(LaunchConditions.parseCpus("0-2,5")).containsExactly(0, 1, 2, 5);
        assertThat(LaunchConditions.cpus(null, "0-15", 2)).isEqualTo("0,1");
        assertThat(LaunchConditions.cpus(null, "4-5,8", 8)).isEqualTo("4,5,8");
        assertThat(LaunchConditions.cpus("5,4", "0-7", 2)).isEqualTo("4,5");
        assertThatThrownBy(() -> LaunchConditions.cpus("9", "0-7", 1)).isInstanceOf(BadInputException.class)
                .hasMessage("--cpus 9: CPU 9 is not one this process may use (0-7); give CPUs from that list");
        assertThatThrownBy(() -> LaunchConditions.cpus("a,b", "0-7", 1)).isInstanceOf(BadInputException.class)
                .hasMessage("--cpus must be a CPU list such as 0,1 or 0-3, got 'a,b'");
        assertThatThrownBy(() -> LaunchConditions.parseCpus("3-1")).isInstanceOf(BadInputException.class)
                .hasMessage("--cpus: the range 3-1 runs backwards; write 1-3");
    }
}
