package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class ProcMemoryTest {
    @Test
    void readsAStatusFieldOfThisProcessByIdOrSelfAndMinusOneWhereThereIsNone() {
        long pid = ProcessHandle.current().pid();
        // a JVM holds well over 10 MB resident, and its peak is at least what it holds now
        long rss = ProcMemory.statusKb(String.valueOf(pid), "VmRSS");
        assertThat(rss).isGreaterThan(10_000);
        assertThat(ProcMemory.statusKb("self", "VmHWM")).isGreaterThanOrEqualTo(rss);
        assertThat(ProcMemory.rssKb()).isGreaterThan(10_000);
        assertThat(ProcMemory.statusKb("self", "NoSuchField")).isEqualTo(-1);
        assertThat(ProcMemory.statusKb("999999999", "VmRSS")).isEqualTo(-1);
    }
}
