package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's file: owner-only, bounded ASCII lines, whole lines, rotation. */
class AuditLogTest {
    @TempDir
    Path dir;

    static AuditLog.End end(String id, String route) {
        return new AuditLog.End("2026-01-01T00:00:00Z", id, "key:0123456789ab", "127.0.0.1", "GET", route, 200, null,
                "ab".repeat(32), "ok", 3);
    }

    @Test
    void aNewFileIsReadableByItsOwnerOnlyAndAnExistingOneIsTightened() throws Exception {
        Path created = dir.resolve("new.jsonl");
        try (AuditLog log = AuditLog.open(created)) {
            log.write(end("1", "/v1/model"));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).isEqualTo("rw-------");
        Path existing = Files.writeString(dir.resolve("old.jsonl"), "{\"earlier\":1}\n");
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-r--r--"));
        try (AuditLog log = AuditLog.open(existing)) {
            log.write(end("2", "/v1/model"));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(existing))).isEqualTo("rw-------");
        assertThat(Files.readAllLines(existing)).hasSize(2).first().isEqualTo("{\"earlier\":1}");
    }

    @Test
    void clientChosenTextIsCutTo256CharactersAndLinesAreAscii() throws Exception {
        Path file = dir.resolve("bounded.jsonl");
        String route = "/v1/" + "a".repeat(7000);
        String odd = "/v1/\u2028x\u0085y\n\"z\u00e9";
        try (AuditLog log = AuditLog.open(file)) {
            log.write(new AuditLog.Start("2026-01-01T00:00:00Z", "1", "127.0.0.1", "GET", route));
            log.write(end("1", odd));
        }
        byte[] bytes = Files.readAllBytes(file);
        for (byte b : bytes) {
            assertThat(b == '\n' || b >= 0x20 && b <= 0x7e).as("printable ASCII and line ends only: " + b).isTrue();
        }
        List<String> lines = new String(bytes, StandardCharsets.US_ASCII).lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).length()).isLessThan(600);
        JsonNode start = Json.MAPPER.readTree(lines.get(0));
        assertThat(start.get("event").asText()).isEqualTo("start");
        assertThat(start.get("route").asText()).isEqualTo("/v1/" + "a".repeat(252) + "...(+6748)");
        assertThat(Json.MAPPER.readTree(lines.get(1)).get("route").asText()).as("escaped, not lost").isEqualTo(odd);
    }

    @Test
    void aHalfLineLeftByACrashIsEndedBeforeTheNextLine() throws Exception {
        Path file = Files.writeString(dir.resolve("half.jsonl"), "{\"event\":\"start\"}\n{\"event\":\"en");
        try (AuditLog log = AuditLog.open(file)) {
            log.write(end("3", "/v1/model"));
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).isEqualTo("{\"event\":\"en");
        assertThat(Json.MAPPER.readTree(lines.get(2)).get("requestId").asText()).isEqualTo("3");
    }

    @Test
    void theFileIsRotatedBeforeItGrowsPastItsSizeKeepingNFiles() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        int lineBytes = (Json.MAPPER.writer().writeValueAsString(end("00", "/v1/model")) + "\n").length();
        try (AuditLog log = AuditLog.open(new AuditLog.Options(file, 3L * lineBytes, 2))) {
            for (int i = 0; i < 20; i++) {
                log.write(end(String.format("%02d", i), "/v1/model"));
            }
        }
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("audit.jsonl", "audit.jsonl.1", "audit.jsonl.2");
        List<String> ids = new ArrayList<>();
        for (Path part : List.of(file.resolveSibling("audit.jsonl.2"), file.resolveSibling("audit.jsonl.1"), file)) {
            assertThat(Files.size(part)).isLessThanOrEqualTo(3L * lineBytes);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(part))).isEqualTo("rw-------");
            for (String line : Files.readAllLines(part)) {
                ids.add(Json.MAPPER.readTree(line).get("requestId").asText());
            }
        }
        assertThat(ids).as("the newest 8 lines, in order, none cut").containsExactly("12", "13", "14", "15", "16", "17",
                "18", "19");
    }
}
