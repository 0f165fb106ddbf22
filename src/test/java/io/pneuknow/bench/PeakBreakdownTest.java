package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The line our probe prints at its peak (issue 21, item 3), read back by the bench, and its description. */
class PeakBreakdownTest {
    @Test
    void theLineReadsBackAsTheSnapshotAndDescribesItInMiB() {
        PeakBreakdown.Snapshot s = new PeakBreakdown.Snapshot(4_096_000, 3_993_600, 102_400, 409_600, 1_024_000,
                6_144_000, 25_600, 8_192, 3_072_000, 51_200, 1_024);
        assertThat(s.line()).isEqualTo("rss_kB=4096000 anon_kB=3993600 file_kB=102400 heap_used_kB=409600"
                + " heap_committed_kB=1024000 heap_max_kB=6144000 nonheap_committed_kB=25600 direct_kB=8192"
                + " malloc_in_use_kB=3072000 malloc_cached_kB=51200 malloc_unmapped_kB=1024");
        assertThat(PeakBreakdown.Snapshot.parse(s.line())).isEqualTo(s);
        assertThat(s.describe()).isEqualTo("VmRSS 4000 MiB (anonymous 3900, mapped files 100): Java heap 400 MiB used"
                + " of 1000 committed (max 6000), metaspace and code 25, direct buffers 8; tcmalloc 3000 MiB in use,"
                + " 50 cached free");
        // without tcmalloc its figures are -1 and left out
        PeakBreakdown.Snapshot glibc = new PeakBreakdown.Snapshot(4_096_000, 3_993_600, 102_400, 409_600, 1_024_000,
                6_144_000, 25_600, 8_192, -1, -1, -1);
        assertThat(glibc.describe()).endsWith("direct buffers 8");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void startAndStopGiveThisProcesssFiguresInTheirPlaces() {
        // the timeout guards stop(), which must not join the sampling thread while holding the lock that thread
        // takes to sample (a rare hang, which this loop may or may not meet)
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 100; i++) {
                PeakBreakdown sampler = PeakBreakdown.start();
                Thread.sleep(i % 3 == 0 ? PeakBreakdown.INTERVAL_MILLIS : 1);
                PeakBreakdown.Snapshot peak = sampler.stop().atRss();
                assertThat(peak.rss()).isPositive();
                // the heap's figures in their places: used <= committed <= max
                assertThat(peak.heapUsed()).isPositive().isLessThanOrEqualTo(peak.heapCommitted());
                assertThat(peak.heapCommitted()).isLessThanOrEqualTo(peak.heapMax());
            }
        });
    }
}
