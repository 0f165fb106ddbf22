package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer script stays frozen (its SHA-256), and the report says whether the script run is the frozen one. */
class PeerScriptTest {
    @Test
    void thePeerScriptIsTheFrozenOne() throws Exception {
        // bench/peer_train.py may not be tuned against ours (issue 7); the bench reports this hash (issue 21)
        String sha = PeerScript.sha256(Path.of("bench", "peer_train.py"));
        assertThat(sha).isEqualTo(PeerScript.FROZEN_SHA256);
        assertThat(PeerScript.frozenStatement(sha)).isEqualTo(PeerScript.FROZEN_SHA256 + " (the frozen peer of issue 7)");
    }

    @Test
    void anotherScriptIsReportedAsNotTheFrozenPeer(@TempDir Path dir) throws Exception {
        Path other = Files.writeString(dir.resolve("peer.py"), "print('hi')\n");
        String sha = PeerScript.sha256(other);
        // sha256 of "print('hi')\n", as sha256sum prints it
        assertThat(sha).isEqualTo("caf026f25d7140209f98072605307a438914b9ce6f3c14b23d15d9667241de52");
        assertThat(PeerScript.frozenStatement(sha)).startsWith(sha + " (NOT the frozen peer of issue 7");
    }

    @Test
    void thisProcesssMallocIsNamed() {
        String allocator = ProcMemory.allocator();
        String preload = System.getenv("LD_PRELOAD");
        if (preload != null && preload.contains("tcmalloc")) {
            assertThat(allocator).startsWith("tcmalloc");
        } else if (preload == null || preload.isBlank()) {
            assertThat(allocator).isEqualTo("glibc malloc");
        }
    }
}
