package io.pneuknow.annotate;

import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A real PostgreSQL server for the tests: its JDBC URL comes from the environment variable
 * {@code PNEUKNOW_TEST_POSTGRES_URL} (or the system property {@code pneuknow.test.postgresUrl}), as .ci/run sets it
 * after starting a cluster. Each fresh database is a new schema ({@code currentSchema=...}), dropped afterwards.
 * Without a URL the tests are skipped, unless pneuknow.requireHeavy=true, when they fail.
 */
final class PostgresTestDatabase implements AutoCloseable {
    private final String baseUrl;
    private final List<String> schemas = new ArrayList<>();

    private PostgresTestDatabase(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** The server the environment names; skips (or, under requireHeavy, fails) the calling test when none. */
    static PostgresTestDatabase require() {
        String url = System.getProperty("pneuknow.test.postgresUrl", System.getenv("PNEUKNOW_TEST_POSTGRES_URL"));
        if (url == null || url.isBlank()) {
            if (Boolean.getBoolean("pneuknow.requireHeavy")) {
                fail("pneuknow.requireHeavy=true but PNEUKNOW_TEST_POSTGRES_URL is not set; .ci/run starts PostgreSQL and sets it");
            }
            Assumptions.abort("no PostgreSQL server: set PNEUKNOW_TEST_POSTGRES_URL=jdbc:postgresql://HOST/DB?user=...&password=...");
        }
        return new PostgresTestDatabase(url);
    }

    /** The URL of a new empty schema on the server. */
    String freshSchemaUrl() {
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        execute("CREATE SCHEMA " + schema);
        schemas.add(schema);
        return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** The same URL, signing in as another user. */
    static String as(String url, String user, String password) {
        return url.replaceAll("user=[^&]*", "user=" + user).replaceAll("password=[^&]*", "password=" + password);
    }

    /** Runs one statement as the URL's user. */
    void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(baseUrl); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(AnnotationDatabase.withoutPassword(baseUrl) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (String schema : schemas) {
            execute("DROP SCHEMA " + schema + " CASCADE");
        }
        schemas.clear();
    }
}
