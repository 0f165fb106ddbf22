package io.pneuknow.annotate;

import io.pneuknow.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Versioned schema migrations, the same SQL for H2 and PostgreSQL: {@code V<n>__<name>.sql} resources applied in
 * order, each recorded in {@code schema_migrations} with its SHA-256. A database whose recorded migrations differ
 * from this program's (edited, or newer) is refused rather than guessed at. Flyway's naming, so a later switch
 * to Flyway could take the files as they are.
 */
final class Migrations {
    /** Every migration of this version, in order. */
    static final List<Migration> ALL = List.of(new Migration(1, "initial schema", "V1__initial_schema.sql"),
            new Migration(2, "predictions", "V2__predictions.sql"),
            new Migration(3, "jobs and models", "V3__jobs_and_models.sql"),
            new Migration(4, "prediction heat", "V4__prediction_heat.sql"));

    /** One migration: its version, description and resource file. */
    record Migration(int version, String description, String resource) {
        String sql() {
            try (InputStream in = Migrations.class.getResourceAsStream("migrations/" + resource)) {
                if (in == null) {
                    throw new IllegalStateException("migration resource missing: " + resource);
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String checksum() {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(sql().getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private Migrations() {
    }

    /** The schema version this program writes and reads. */
    static int latest() {
        return ALL.get(ALL.size() - 1).version();
    }

    /** Brings the database to {@link #latest()}; one transaction per migration where the database allows (PostgreSQL). */
    static synchronized void apply(AnnotationDatabase database) {
        try (Connection connection = database.connect()) {
            // a database already at this version is only read: a user who may read but not create tables (training) opens it
            Map<Integer, String> found = hasMigrationTable(connection) ? applied(connection) : null;
            if (found != null && found.keySet().containsAll(ALL.stream().map(Migration::version).toList())) {
                check(database, found);
                connection.commit();
                return;
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, "
                        + "description VARCHAR(200) NOT NULL, checksum VARCHAR(64) NOT NULL, "
                        + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
                connection.commit();
                if (!database.isH2()) {
                    // two team members starting at once: the second waits, then sees the migrations applied
                    statement.execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE");
                }
            }
            Map<Integer, String> applied = applied(connection);
            check(database, applied);
            for (Migration migration : ALL) {
                String checksum = migration.checksum();
                if (applied.containsKey(migration.version())) {
                    continue;
                }
                try (Statement statement = connection.createStatement()) {
                    for (String sql : statements(migration.sql())) {
                        statement.execute(sql);
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO schema_migrations (version, description, checksum, applied_at) VALUES (?, ?, ?, ?)")) {
                    insert.setInt(1, migration.version());
                    insert.setString(2, migration.description());
                    insert.setString(3, checksum);
                    insert.setObject(4, OffsetDateTime.now(ZoneOffset.UTC));
                    insert.executeUpdate();
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw new BadInputException(database.shown() + ": cannot bring the schema to version " + latest() + " ("
                    + AnnotationDatabase.oneLine(e) + "); check that the database user may create tables");
        }
    }

    /** Whether the current schema has the migrations table (asked of the metadata: a failed query would be logged by H2). */
    private static boolean hasMigrationTable(Connection connection) throws SQLException {
        for (String name : List.of("schema_migrations", "SCHEMA_MIGRATIONS")) {
            try (ResultSet tables = connection.getMetaData().getTables(null, connection.getSchema(), name, null)) {
                if (tables.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The recorded migrations: version and checksum. */
    private static Map<Integer, String> applied(Connection connection) throws SQLException {
        Map<Integer, String> applied = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT version, checksum FROM schema_migrations ORDER BY version")) {
            while (rows.next()) {
                applied.put(rows.getInt(1), rows.getString(2));
            }
        }
        return applied;
    }

    /** Refuses recorded migrations newer than this program's, or applied from a file other than this program's. */
    private static void check(AnnotationDatabase database, Map<Integer, String> applied) {
        for (Map.Entry<Integer, String> entry : applied.entrySet()) {
            if (entry.getKey() > latest()) {
                throw new BadInputException(database.shown() + ": schema version " + entry.getKey()
                        + " is newer than this PneuKnow's (" + latest() + "); use a newer PneuKnow");
            }
        }
        for (Migration migration : ALL) {
            String recorded = applied.get(migration.version());
            String checksum = migration.checksum();
            if (recorded != null && !recorded.equals(checksum)) {
                throw new BadInputException(database.shown() + ": migration V" + migration.version()
                        + " was applied from a different file (checksum " + recorded.substring(0, Math.min(12, recorded.length()))
                        + "... against " + checksum.substring(0, 12) + "...); restore a backup made by this version");
            }
        }
    }

    /** The statements of a migration file: comment lines dropped, split at semicolons that end a line. */
    static List<String> statements(String sql) {
        StringBuilder text = new StringBuilder();
        for (String line : sql.split("\n")) {
            if (!line.strip().startsWith("--")) {
                text.append(line).append('\n');
            }
        }
        return List.of(text.toString().split(";\\s*\n")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
