package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API key's strength rules, its id, and the key file {@code --make-key} writes. */
class ApiKeyTest {
    static final String HEX_32 = "0123456789abcdef0123456789abcdef";
    static final String BASE64URL_22 = "Zm9vYmFyLWJhel9xdXV4LQ";

    @TempDir
    Path dir;

    @Test
    void hexKeysNeed32CharactersAndBase64urlKeys22() {
        assertThat(ApiKey.weakness(HEX_32)).isNull();
        assertThat(ApiKey.weakness(HEX_32.substring(1))).isEqualTo("31 hex characters");
        assertThat(ApiKey.weakness(HEX_32.toUpperCase())).isNull();
        assertThat(ApiKey.weakness(BASE64URL_22)).isNull();
        assertThat(ApiKey.weakness(BASE64URL_22 + "==")).as("padding allowed").isNull();
        assertThat(ApiKey.weakness(BASE64URL_22.substring(1))).isEqualTo("21 base64url characters");
        assertThat(ApiKey.weakness("x")).isEqualTo("1 base64url characters");
        assertThat(ApiKey.weakness("0123456789abcdef01234567")).as("24 hex digits are 96 bits, not 22 base64url")
                .isEqualTo("24 hex characters");
    }

    @Test
    void keysOfOtherCharactersOrFewDistinctOnesAreRefused() {
        assertThat(ApiKey.weakness("Zm9vYmFy+YmF6/3F1dXgtZm9v")).contains("other than hex or base64url");
        assertThat(ApiKey.weakness(HEX_32.substring(0, 16) + " " + HEX_32.substring(16))).contains("other than");
        assertThat(ApiKey.weakness("a".repeat(64))).isEqualTo("fewer than 8 different characters");
        assertThat(ApiKey.weakness("0123456".repeat(6))).isEqualTo("fewer than 8 different characters");
        assertThatThrownBy(() -> ApiKey.of("s3cret")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWeakKeyFileIsRefusedInOneLineThatGivesTheCommandMakingOne() throws Exception {
        Path file = Files.writeString(dir.resolve("short.key"), "x\n");
        assertThatThrownBy(() -> ApiKey.fromFile(file)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + ": the API key is too weak (1 base64url characters;")
                .hasMessageContaining("at least 32 hex or 22 base64url characters")
                .hasMessageContaining("pneuknow serve --make-key " + file)
                .hasMessageNotContaining("\n");
    }

    @Test
    void theIdNamesTheKeyWithoutShowingIt() {
        ApiKey key = ApiKey.of(HEX_32);
        assertThat(key.id()).matches("key:[0-9a-f]{12}").isEqualTo(ApiKey.of(" " + HEX_32 + " ").id());
        assertThat(key.id()).isNotEqualTo(ApiKey.of(BASE64URL_22).id());
        assertThat(HEX_32).doesNotContain(key.id().substring(4));
        assertThat(key.toString()).isEqualTo("ApiKey[" + key.id() + "]").doesNotContain(HEX_32);
        assertThat(key.principal().id()).isEqualTo(key.id());
        assertThat(key.principal().has(Principal.Role.ADMIN)).isTrue();
        assertThat(Principal.ANONYMOUS.has(Principal.Role.USE)).isTrue();
        assertThat(Principal.ANONYMOUS.has(Principal.Role.ADMIN)).isFalse();
        assertThat(key.matches(HEX_32)).isTrue();
        assertThat(key.matches(HEX_32.replace('f', 'e'))).isFalse();
        assertThat(key.matches(null)).isFalse();
    }

    @Test
    void makeWritesAStrongKeyReadableByItsOwnerOnlyAndNeverReplacesAFile() throws Exception {
        Path file = dir.resolve("serve.key");
        String id = ApiKey.make(file);
        String text = Files.readString(file);
        assertThat(text).matches("[0-9a-f]{64}\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(ApiKey.fromFile(file).id()).isEqualTo(id);
        assertThat(ApiKey.make(dir.resolve("other.key"))).as("a new random key each time").isNotEqualTo(id);
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("serve.key", "other.key");
        assertThatThrownBy(() -> ApiKey.make(file)).isInstanceOf(BadInputException.class)
                .hasMessage(file + ": the file exists; remove it first to replace the key, or name a new file");
        assertThat(Files.readString(file)).isEqualTo(text);
    }

    @Test
    void aKeyFileOthersCanReadIsNamedInAWarning() throws Exception {
        Path file = dir.resolve("open.key");
        ApiKey.make(file);
        assertThat(ApiKey.exposureWarning(file)).isNull();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(ApiKey.exposureWarning(file))
                .isEqualTo(file + ": the API key file is readable by others (rw-r--r--); chmod 600 " + file);
    }
}
