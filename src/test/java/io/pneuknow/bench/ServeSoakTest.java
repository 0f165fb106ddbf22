package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.Json;
import io.pneuknow.serve.TinyModel;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short soak ({@link ServeSoak}, issue 19 item 4): {@code pneuknow serve} in a child JVM under the mixed load for
 * {@value #SECONDS} s, killed with SIGKILL at half time and restarted on the same port with the same audit log. The
 * summary's values: no 5xx but the intended 503s, every kind of request answered as expected (good ones 200, broken
 * ones 4xx, the slow upload 408), served again after the restart, the RSS under the ceiling, the audit log intact.
 */
@Tag("heavy")
class ServeSoakTest {
    static final int SECONDS = 30;

    @TempDir
    Path dir;

    @Test
    void aShortSoakWithAKillAndRestartGivesNo5xxKeepsTheAuditLogIntactAndRecovers() throws Exception {
        Path out = dir.resolve("soak");
        ServeSoak.Summary s = ServeSoak.run(new ServeSoak.Settings(TinyModel.shared().model(), Duration.ofSeconds(SECONDS),
                out, Duration.ofSeconds(1)), new PrintWriter(System.out, true));
        System.out.print(ServeSoak.markdown(s));

        assertThat(s.serverErrors()).as("5xx other than the intended 503s").isZero();
        assertThat(s.unexpected()).as("answers outside their kind's expected set: %s", s.answers()).isZero();
        assertThat(s.answers()).containsKeys("png predict", "jpeg predict", "dicom predict", "png explain",
                "dicom explain", "huge png", "no boundary", "wrong key", "slow upload");
        assertThat(answered(s, "dicom predict")).containsOnlyKeys("200");
        assertThat(answered(s, "huge png")).containsOnlyKeys("200");
        assertThat(answered(s, "no boundary")).containsOnlyKeys("400 bad_multipart");
        assertThat(answered(s, "two image parts")).containsOnlyKeys("400 several_images");
        assertThat(answered(s, "wrong key").keySet()).isNotEmpty().allMatch(a -> a.startsWith("401") || a.startsWith("429"));
        assertThat(answered(s, "slow upload")).containsOnlyKeys("408");
        assertThat(s.goodRequests()).isGreaterThan(20);
        assertThat(s.goodP95Ms()).isGreaterThanOrEqualTo(s.goodP50Ms()).isPositive();
        assertThat(s.servedAfterRestart()).as("good requests answered by the restarted server").isPositive();
        assertThat(s.outageSeconds()).as("outage, s").isPositive().isLessThan(SECONDS);
        assertThat(s.peakRssMib()[0]).isPositive().isLessThan(ServeSoak.CEILING_MIB);
        assertThat(s.peakRssMib()[1]).isPositive().isLessThan(ServeSoak.CEILING_MIB);
        assertThat((long) s.audit().starts()).isGreaterThan(s.goodRequests());
        assertThat(s.audit().endsWithoutStart()).isZero();
        assertThat(s.audit().unparsable()).isLessThanOrEqualTo(1);
        assertThat(s.audit().intact(s.inFlightBound())).as("audit %s", s.audit()).isTrue();
        assertThat(s.passed()).isTrue();

        List<String> csv = Files.readAllLines(out.resolve("rss.csv"));
        assertThat(csv.get(0)).isEqualTo("seconds,server,pid,vmrss_mib");
        assertThat(csv.stream().skip(1).map(l -> l.split(",")[1]).distinct()).containsExactly("1", "2");
        assertThat(Files.readString(out.resolve("rss.svg"))).startsWith("<svg xmlns=").contains("ceiling 1344 MiB");
        assertThat(Json.MAPPER.readTree(out.resolve("summary.json").toFile()).path("passed").asBoolean()).isTrue();
    }

    /** A kind's answers without the requests that got none during the outage. */
    static Map<String, Long> answered(ServeSoak.Summary s, String kind) {
        Map<String, Long> answers = new TreeMap<>(s.answers().get(kind));
        answers.remove("no answer (outage)");
        return answers;
    }

    @Test
    void theAuditCheckAllowsOneHalfLineAtTheKillAndNoOther() throws Exception {
        Instant kill = Instant.parse("2026-12-07T04:00:00Z");
        Path audit = dir.resolve("audit.jsonl");
        String before = "{\"time\":\"2026-12-07T03:59:59Z\",\"event\":\"start\",\"requestId\":\"a\"}\n"
                + "{\"time\":\"2026-12-07T03:59:59.5Z\",\"event\":\"end\",\"requestId\":\"a\"}\n"
                + "{\"time\":\"2026-12-07T03:59:59.9Z\",\"event\":\"start\",\"requestId\":\"b\"}\n";
        String after = "{\"time\":\"2026-12-07T04:00:02Z\",\"event\":\"start\",\"requestId\":\"c\"}\n"
                + "{\"time\":\"2026-12-07T04:00:03Z\",\"event\":\"end\",\"requestId\":\"c\"}\n";
        Files.writeString(audit, before + "{\"time\":\"2026-12-07T03:59:59.95Z\",\"ev\n" + after, StandardCharsets.US_ASCII);
        ServeSoak.AuditCheck atKill = ServeSoak.checkAudit(audit, kill);
        assertThat(atKill).isEqualTo(new ServeSoak.AuditCheck(6, 1, true, 3, 2, 1, true, 0));
        assertThat(atKill.intact(1)).isTrue();
        assertThat(atKill.intact(0)).as("one request in flight at most").isFalse();

        Files.writeString(audit, before + after + "{\"time\":\"2026-12-07T04:00:04Z\",\"ev\n" + after.replace("\"c\"", "\"d\""),
                StandardCharsets.US_ASCII);
        ServeSoak.AuditCheck later = ServeSoak.checkAudit(audit, kill);
        assertThat(later.unparsableAtKill()).as("a half line written by the restarted server").isFalse();
        assertThat(later.intact(5)).isFalse();

        Files.writeString(audit, before + after + "{\"time\":\"2026-12-07T04:00:05Z\",\"event\":\"end\",\"requestId\":\"z\"}\n",
                StandardCharsets.US_ASCII);
        assertThat(ServeSoak.checkAudit(audit, kill).endsWithoutStart()).isEqualTo(1);
    }
}
