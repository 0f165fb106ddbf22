package io.pneuknow.annotate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's behaviour on the embedded H2 file (the default), plus what only the file has. */
class AnnotationStoreH2Test extends AnnotationStoreContract {
    @TempDir
    Path dir;
    private int count;

    @Override
    AnnotationDatabase freshDatabase() {
        return AnnotationDatabase.open("annotations-" + (count++) + ".mv.db", dir, true);
    }

    @Test
    void theFileIsOneFileInTheFolderWithWriteDelayZero() throws Exception {
        assertThat(dir.resolve("annotations-0.mv.db")).isRegularFile();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dir.resolve("annotations-0.mv.db")))).as("readable by its owner only").isEqualTo("rw-------");
        String writeDelay = store.transaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'");
                 ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        });
        assertThat(writeDelay).isEqualTo("0");
    }

    @Test
    void aMissingFileIsRefusedWhenNotCreating() {
        assertThatThrownBy(() -> AnnotationDatabase.open("absent.mv.db", dir, false))
                .isInstanceOf(BadInputException.class)
                .hasMessage(dir.resolve("absent.mv.db") + ": annotation database not found; check the path, or create it "
                        + "with pneuknow annotations import");
        assertThat(dir.resolve("absent.mv.db")).doesNotExist();
    }

    @Test
    void reopeningTheFileFindsEverythingAndAppliesNoMigrationTwice() throws Exception {
        StoredRegion region = store.createRegion("a", new RegionDraft("lesion", "opacity", Geometry.box(1, 2, 3, 4)), ann);
        store.database().close();
        try (AnnotationDatabase again = AnnotationDatabase.open(dir.resolve("annotations-0").toString(), null, false)) {
            AnnotationStore reopened = new AnnotationStore(again);
            assertThat(reopened.region(region.id())).contains(region);
            long migrations = reopened.transaction(connection -> {
                try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM schema_migrations");
                     ResultSet rows = select.executeQuery()) {
                    rows.next();
                    return rows.getLong(1);
                }
            });
            assertThat(migrations).isEqualTo(Migrations.ALL.size());
        }
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).filter(n -> n.startsWith("annotations-0")))
                .containsExactly("annotations-0.mv.db");
    }
}
