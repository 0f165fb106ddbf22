package io.pneuknow.annotate;

import org.junit.jupiter.api.AfterEach;

/** The store's behaviour on a real PostgreSQL server (PNEUKNOW_TEST_POSTGRES_URL; .ci/run starts one). */
class AnnotationStorePostgresTest extends AnnotationStoreContract {
    private PostgresTestDatabase server;

    @Override
    AnnotationDatabase freshDatabase() {
        if (server == null) {
            server = PostgresTestDatabase.require();
        }
        return AnnotationDatabase.open(server.freshSchemaUrl(), null, true);
    }

    @AfterEach
    void dropSchemas() {
        closeDatabases();
        if (server != null) {
            server.close();
        }
    }
}
