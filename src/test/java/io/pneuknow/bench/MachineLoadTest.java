package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The idle check's busy share, from /proc/stat lines. */
class MachineLoadTest {
    @Test
    void busyIsEverythingButIdleAndIowaitOfTheChosenCpus() {
        List<String> stat = List.of(
                "cpu  300 0 100 500 100 0 0 0 0 0",
                "cpu0 100 0 50 300 50 0 0 0 0 0",
                "cpu1 200 0 50 200 50 0 0 0 0 0",
                "intr 12345");
        // cpu0: total 500, idle + iowait 350, busy 150
        assertThat(MachineLoad.busyAndTotal(stat, List.of(0))).containsExactly(150, 500);
        assertThat(MachineLoad.busyAndTotal(stat, List.of(0, 1))).containsExactly(150 + 250, 1000);
        // no list: the machine's summary line
        assertThat(MachineLoad.busyAndTotal(stat, List.of())).containsExactly(400, 1000);
        assertThat(MachineLoad.busyAndTotal(stat, List.of(7))).containsExactly(-1, -1);
        assertThat(new MachineLoad(0.3, 0.25).busierThan(0.10)).isTrue();
        assertThat(new MachineLoad(0.3, 0.05).busierThan(0.10)).isFalse();
        assertThat(new MachineLoad(Double.NaN, Double.NaN).busierThan(0.10)).isFalse();
        assertThat(new MachineLoad(0.25, 0.031).describe("0,1")).isEqualTo("load average 0.25, CPUs 0,1 busy 3 %");
    }
}
