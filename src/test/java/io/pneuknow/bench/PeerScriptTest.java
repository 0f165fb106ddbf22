package io.pneuknow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The peer runs without the allocator the launcher preloaded for us, and keeps what the user preloaded. */
class PeerScriptTest {
    private static final String TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";

    @Test
    void theLaunchersPreloadIsTakenOutAndTheUsersStays() {
        Map<String, String> env = new HashMap<>(Map.of("PNEUKNOW_PRELOAD", TCMALLOC,
                "LD_PRELOAD", TCMALLOC + ":/opt/mine.so", "PATH", "/usr/bin"));
        assertThat(PeerScript.allocator(env)).isEqualTo("LD_PRELOAD=/opt/mine.so");
        PeerScript.withoutLauncherPreload(env);
        assertThat(env).containsEntry("LD_PRELOAD", "/opt/mine.so").containsEntry("PATH", "/usr/bin")
                .doesNotContainKey("PNEUKNOW_PRELOAD");

        Map<String, String> onlyOurs = new HashMap<>(Map.of("PNEUKNOW_PRELOAD", TCMALLOC, "LD_PRELOAD", TCMALLOC));
        assertThat(PeerScript.allocator(onlyOurs)).isEqualTo("glibc malloc");
        PeerScript.withoutLauncherPreload(onlyOurs);
        assertThat(onlyOurs).isEmpty();

        // set by the user, not by the launcher: the peer gets it too
        Map<String, String> users = new HashMap<>(Map.of("LD_PRELOAD", TCMALLOC));
        PeerScript.withoutLauncherPreload(users);
        assertThat(users).containsEntry("LD_PRELOAD", TCMALLOC);
        assertThat(PeerScript.allocator(users)).isEqualTo("LD_PRELOAD=" + TCMALLOC);
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
