package io.pneuknow.annotate;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;

/**
 * A logical backup of every table (annotations, people, training jobs and the model registry) as one JSON document (the same for H2 and PostgreSQL, so a backup
 * of the embedded file restores into a team's server and back). Written from one consistent snapshot
 * (repeatable read); restored into an empty database at the same schema version in one transaction, identity
 * counters moved past the restored ids.
 */
public final class Backup {
    /** The document's format name. */
    static final String FORMAT = "pneuknow-annotations-backup";
    /** Tables in an order that respects their foreign keys, each with its ordering columns. */
    private static final List<String[]> TABLES = List.of(
            new String[] {"people", "id"},
            new String[] {"images", "id"},
            new String[] {"regions", "id"},
            new String[] {"region_versions", "region_id, version"},
            new String[] {"no_finding_marks", "image_id, version"},
            new String[] {"jobs", "id"},
            new String[] {"models", "id"});
    /** Tables with an identity column to move past the restored ids. */
    private static final List<String> IDENTITY_TABLES = List.of("people", "regions", "jobs", "models");

    private Backup() {
    }

    /** Writes every table of the store's database to {@code out}. */
    public static void write(AnnotationStore store, OutputStream out) throws IOException {
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8).useDefaultPrettyPrinter()) {
            store.transaction(connection -> {
                connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try {
                    json.writeStartObject();
                    json.writeStringField("format", FORMAT);
                    json.writeNumberField("schemaVersion", Migrations.latest());
                    json.writeObjectFieldStart("tables");
                    for (String[] table : TABLES) {
                        json.writeArrayFieldStart(table[0]);
                        try (Statement statement = connection.createStatement();
                             ResultSet rows = statement.executeQuery("SELECT * FROM " + table[0] + " ORDER BY " + table[1])) {
                            ResultSetMetaData meta = rows.getMetaData();
                            while (rows.next()) {
                                json.writeStartObject();
                                for (int c = 1; c <= meta.getColumnCount(); c++) {
                                    json.writeFieldName(meta.getColumnLabel(c).toLowerCase(Locale.ROOT));
                                    writeValue(json, rows, c, meta.getColumnType(c));
                                }
                                json.writeEndObject();
                            }
                        }
                        json.writeEndArray();
                    }
                    json.writeEndObject();
                    json.writeEndObject();
                } catch (IOException e) {
                    throw new SQLException("cannot write the backup: " + e.getMessage(), e);
                }
                return null;
            });
        }
    }

    /**
     * Restores a backup into the store's database, which must be empty (no people, images or regions) and at the
     * backup's schema version; all or nothing.
     */
    public static void restore(AnnotationStore store, InputStream in, String shownName) throws IOException {
        JsonNode document;
        try (JsonParser parser = Json.MAPPER.getFactory().createParser(in)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new BadInputException(shownName + ": not a PneuKnow annotations backup (not a JSON object); "
                        + "give a file written by pneuknow annotations backup");
            }
            document = Json.MAPPER.readTree(parser);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadInputException(shownName + ": not valid JSON (" + e.getOriginalMessage()
                    + "); give a file written by pneuknow annotations backup");
        }
        if (!FORMAT.equals(document.path("format").asText())) {
            throw new BadInputException(shownName + ": format '" + document.path("format").asText()
                    + "' is not " + FORMAT + "; give a file written by pneuknow annotations backup");
        }
        int version = document.path("schemaVersion").asInt(-1);
        if (version != Migrations.latest()) {
            throw new BadInputException(shownName + ": schema version " + version + ", this PneuKnow writes "
                    + Migrations.latest() + "; restore it with the PneuKnow that wrote it");
        }
        String target = store.database().shown();
        store.transaction(connection -> {
            for (String[] table : TABLES) {
                try (Statement statement = connection.createStatement();
                     ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM " + table[0])) {
                    rows.next();
                    if (rows.getLong(1) > 0) {
                        throw new BadInputException(target + ": table " + table[0] + " is not empty; restore into a new "
                                + "database (a new file, or an empty PostgreSQL database)");
                    }
                }
            }
            for (String[] table : TABLES) {
                restoreTable(connection, table[0], document.path("tables").path(table[0]), shownName);
            }
            for (String table : IDENTITY_TABLES) {
                long next;
                try (Statement statement = connection.createStatement();
                     ResultSet rows = statement.executeQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM " + table)) {
                    rows.next();
                    next = rows.getLong(1);
                }
                try (Statement statement = connection.createStatement()) {
                    statement.execute("ALTER TABLE " + table + " ALTER COLUMN id RESTART WITH " + next);
                }
            }
            return null;
        });
    }

    private static void restoreTable(Connection connection, String table, JsonNode rows, String shownName) throws SQLException {
        if (!rows.isArray()) {
            throw new BadInputException(shownName + ": table " + table + " is missing; the backup is incomplete");
        }
        ResultSetMetaData meta;
        try (Statement statement = connection.createStatement();
             ResultSet empty = statement.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
            meta = empty.getMetaData();
            int columns = meta.getColumnCount();
            String[] names = new String[columns];
            int[] types = new int[columns];
            for (int c = 0; c < columns; c++) {
                names[c] = meta.getColumnLabel(c + 1).toLowerCase(Locale.ROOT);
                types[c] = meta.getColumnType(c + 1);
            }
            String sql = "INSERT INTO " + table + " (" + String.join(", ", names) + ") VALUES ("
                    + String.join(", ", java.util.Collections.nCopies(columns, "?")) + ")";
            try (PreparedStatement insert = connection.prepareStatement(sql)) {
                int index = 0;
                for (JsonNode row : rows) {
                    index++;
                    for (int c = 0; c < columns; c++) {
                        JsonNode value = row.get(names[c]);
                        if (value == null) {
                            throw new BadInputException(shownName + ": " + table + " row " + index + " has no '" + names[c]
                                    + "'; the backup is damaged");
                        }
                        setValue(insert, c + 1, types[c], value);
                    }
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }

    private static void writeValue(JsonGenerator json, ResultSet rows, int column, int type) throws SQLException, IOException {
        switch (type) {
            case Types.BIGINT, Types.INTEGER, Types.SMALLINT -> {
                long value = rows.getLong(column);
                if (rows.wasNull()) {
                    json.writeNull();
                } else {
                    json.writeNumber(value);
                }
            }
            case Types.BOOLEAN, Types.BIT -> {
                boolean value = rows.getBoolean(column);
                if (rows.wasNull()) {
                    json.writeNull();
                } else {
                    json.writeBoolean(value);
                }
            }
            case Types.DOUBLE, Types.FLOAT, Types.REAL -> {
                double value = rows.getDouble(column);
                if (rows.wasNull()) {
                    json.writeNull();
                } else {
                    json.writeNumber(value);
                }
            }
            case Types.TIMESTAMP_WITH_TIMEZONE, Types.TIMESTAMP -> {
                OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
                if (value == null) {
                    json.writeNull();
                } else {
                    json.writeString(value.toString());
                }
            }
            default -> {
                String value = rows.getString(column);
                if (value == null) {
                    json.writeNull();
                } else {
                    json.writeString(value);
                }
            }
        }
    }

    private static void setValue(PreparedStatement insert, int index, int type, JsonNode value) throws SQLException {
        if (value.isNull()) {
            insert.setNull(index, type);
            return;
        }
        switch (type) {
            case Types.BIGINT, Types.INTEGER, Types.SMALLINT -> insert.setLong(index, value.asLong());
            case Types.BOOLEAN, Types.BIT -> insert.setBoolean(index, value.asBoolean());
            case Types.DOUBLE, Types.FLOAT, Types.REAL -> insert.setDouble(index, value.asDouble());
            case Types.TIMESTAMP_WITH_TIMEZONE, Types.TIMESTAMP -> insert.setObject(index, OffsetDateTime.parse(value.asText()));
            default -> insert.setString(index, value.asText());
        }
    }
}
