package io.pneuknow.annotate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The store's behaviour on a real PostgreSQL server (PNEUKNOW_TEST_POSTGRES_URL; .ci/run starts one). */
class AnnotationStorePostgresTest extends AnnotationStoreContract {
    private PostgresTestDatabase server;

    private String lastUrl;

    @Override
    AnnotationDatabase freshDatabase() {
        if (server == null) {
            server = PostgresTestDatabase.require();
        }
        lastUrl = server.freshSchemaUrl();
        return AnnotationDatabase.open(lastUrl, null, true);
    }

    @Test
    void aUserWhoMayOnlyReadOpensAMigratedDatabaseAndReadsItsRegions() {
        store.createRegion("a", new RegionDraft("lesion", "opacity", Geometry.box(1, 2, 3, 4)), ann);
        String role = "ro_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String schema = lastUrl.replaceAll(".*currentSchema=", "");
        server.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'readonly'");
        try {
            server.execute("GRANT USAGE ON SCHEMA " + schema + " TO " + role);
            server.execute("GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + role);
            try (AnnotationDatabase reader = AnnotationDatabase.open(PostgresTestDatabase.as(lastUrl, role, "readonly"), null, false)) {
                assertThat(new AnnotationStore(reader).liveRegions()).isEqualTo(store.liveRegions()).hasSize(1);
            }
        } finally {
            server.execute("DROP OWNED BY " + role);
            server.execute("DROP ROLE " + role);
        }
    }

    @AfterEach
    void dropSchemas() {
        closeDatabases();
        if (server != null) {
            server.close();
        }
    }
}
