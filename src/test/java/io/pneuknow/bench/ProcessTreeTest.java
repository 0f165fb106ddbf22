package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The memory of a whole process tree, the same method for both sides (issue 21), on a hand-made /proc and a real one. */
class ProcessTreeTest {
    @TempDir
    Path proc;

    /**
     * A process in the fake /proc: status with the fields (a tenth of its VmRSS in mapped files, RssFile, the rest
     * anonymous), maps with the library, children of each thread.
     */
    private void process(long pid, String name, long rssKb, long hwmKb, String cpus, String lib, long... children)
            throws Exception {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(dir.resolve("status"), "Name:\t" + name + "\nVmHWM:\t  " + hwmKb + " kB\nVmRSS:\t  " + rssKb
                + " kB\nRssAnon:\t  " + (rssKb - rssKb / 10) + " kB\nRssFile:\t  " + rssKb / 10
                + " kB\nCpus_allowed_list:\t" + cpus + "\n");
        Files.writeString(dir.resolve("maps"), "5600-5700 r-xp 00000000 08:01 1  /usr/bin/" + name + "\n"
                + (lib == null ? "" : "7f00-7f10 r-xp 00000000 08:01 2  " + lib + "\n")
                + "7f20-7f30 r-xp 00000000 08:01 3  /usr/lib/x86_64-linux-gnu/libc.so.6\n");
        // the main thread has the first child, a second thread the rest (a child belongs to the thread that forked it)
        Path main = Files.createDirectories(dir.resolve("task").resolve(Long.toString(pid)));
        Path other = Files.createDirectories(dir.resolve("task").resolve(Long.toString(pid + 1000)));
        StringBuilder first = new StringBuilder();
        StringBuilder rest = new StringBuilder();
        for (int i = 0; i < children.length; i++) {
            (i == 0 ? first : rest).append(children[i]).append(' ');
        }
        Files.writeString(main.resolve("children"), first.toString());
        Files.writeString(other.resolve("children"), rest.toString());
    }

    @Test
    void theTreesResidentMemoryIsSummedOverItsMembersAndTheirPeaksGiveTheUpperBound() throws Exception {
        String tc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10";
        process(100, "python3", 2_000_000, 2_500_000, "0-1", tc, 101, 102);
        process(101, "python3", 300_000, 320_000, "0-1", tc);
        process(102, "pt_worker", 50_000, 60_000, "0-1", tc, 103);
        process(103, "sh", 1_000, 1_000, "0", null);
        process(200, "unrelated", 9_000_000, 9_000_000, "0-1", null);
        ProcessTree tree = new ProcessTree(proc);
        assertThat(tree.members(100)).containsExactly(100L, 101L, 102L, 103L);
        assertThat(tree.members(102)).containsExactly(102L, 103L);
        assertThat(tree.members(999)).isEmpty();
        assertThat(tree.allocator(101)).isEqualTo("tcmalloc (" + tc + ")");
        assertThat(tree.allocator(103)).isEqualTo("glibc malloc");
        // a static helper such as ldconfig (the JVM runs it now and then) maps no library: LD_PRELOAD cannot apply
        process(300, "ldconfig", 1_000, 1_000, "0-1", null);
        // (ldconfig -p maps /etc/ld.so.cache read-only: data, not a library)
        Files.writeString(proc.resolve("300").resolve("maps"), "400000-4a0000 r-xp 00000000 08:01 9  /usr/sbin/ldconfig\n"
                + "7f40-7f50 r--p 00000000 08:01 10  /etc/ld.so.cache\n");
        assertThat(tree.allocator(300)).isEqualTo(ProcessTree.STATIC);
        assertThat(tree.allocator(301)).isEqualTo("unknown");

        ProcessTree.Sampler sampler = tree.sampler(100, 1_000_000);
        sampler.sample();
        // the main process shrinks, the worker grows: the peak of the sum is the larger of the two sums,
        // the bound the sum of each one's largest VmHWM
        process(100, "python3", 1_000_000, 2_500_000, "0-1", tc, 101, 102);
        process(101, "python3", 900_000, 950_000, "0-1", tc);
        sampler.sample();
        ProcessTree.Memory m = sampler.stop();
        assertThat(m.samples()).isEqualTo(2);
        assertThat(m.peakRssSumKb()).isEqualTo(2_000_000 + 300_000 + 50_000 + 1_000);
        assertThat(m.hwmSumKb()).isEqualTo(2_500_000 + 950_000 + 60_000 + 1_000);
        // what of the peak was mapped files and anonymous memory: the sums of the sample of the peak (the first)
        assertThat(m.peakFileSumKb()).isEqualTo(200_000 + 30_000 + 5_000 + 100);
        assertThat(m.peakAnonSumKb()).isEqualTo(1_800_000 + 270_000 + 45_000 + 900);
        assertThat(m.members()).extracting(ProcessTree.Member::describe).containsExactly(
                "python3: CPUs 0-1, tcmalloc (" + tc + ")", "python3: CPUs 0-1, tcmalloc (" + tc + ")",
                "pt_worker: CPUs 0-1, tcmalloc (" + tc + ")", "sh: CPUs 0, glibc malloc");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aSpawnedTreeOfThreeProcessesIsSeenWholeWithItsCpusAndMalloc() throws Exception {
        LaunchConditions pinned = new LaunchConditions(LaunchConditions.GLIBC, null,
                LaunchConditions.cpus(null, LaunchConditions.allowedCpus(), 1), 1);
        // a shell that starts two children and waits: three processes, pinned to one CPU by taskset
        ChildRun.Result r = ChildRun.run(List.of("sh", "-c", "sleep 1.5 & sleep 1.5 & wait; echo done"), pinned,
                proc.resolve("log"), 30);
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).contains("done");
        ProcessTree.Memory m = r.memory();
        assertThat(m.samples()).isGreaterThan(3);
        assertThat(m.members()).extracting(ProcessTree.Member::name).contains("sh", "sleep");
        assertThat(m.members()).hasSize(3);
        assertThat(m.members()).allSatisfy(member -> {
            assertThat(member.cpus()).isEqualTo(pinned.cpus());
            assertThat(member.allocator()).isEqualTo("glibc malloc");
        });
        // three small processes: each holds some hundreds of kB to a few MB; the bound is at least the peak sum
        assertThat(m.peakRssSumKb()).isBetween(300L, 100_000L);
        assertThat(m.hwmSumKb()).isGreaterThanOrEqualTo(m.peakRssSumKb());
    }
}
