package io.pneuknow.annotate;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where the annotations live and how to connect: an H2 file (the default: one file in the workspace, nothing
 * to install) or any JDBC URL (PostgreSQL for a team). Opening migrates the schema to this version
 * ({@link Migrations}). An H2 database is opened with {@code WRITE_DELAY=0}: each commit is written to the file
 * before {@code commit()} returns, so a change acknowledged after its commit survives kill -9 of the process
 * (H2 does not fsync per commit: an operating-system crash or power cut may still lose the last commits;
 * PostgreSQL's defaults, {@code fsync=on} and {@code synchronous_commit=on}, cover that too).
 */
public final class AnnotationDatabase implements AutoCloseable {
    /** The H2 file suffix; a file name given with or without it means the same database. */
    public static final String H2_SUFFIX = ".mv.db";

    private final String url;
    private final String shown;
    private final boolean h2;
    /** For H2: one connection held open while this object lives, so the database is not closed and reopened per change. */
    private final Connection keeper;

    private AnnotationDatabase(String url, String shown) throws SQLException {
        this.url = url;
        this.shown = shown;
        this.h2 = url.startsWith("jdbc:h2:");
        this.keeper = h2 ? DriverManager.getConnection(url, "sa", "") : null;
        if (h2) {
            try (Statement statement = keeper.createStatement()) {
                // persistent setting of the database; also for a jdbc:h2: URL given without it
                statement.execute("SET WRITE_DELAY 0");
            }
        }
    }

    /**
     * Opens the database that {@code fileOrUrl} names (a {@code jdbc:} URL, or an H2 file path, relative to
     * {@code base}, with or without {@value #H2_SUFFIX}) and migrates it to this version's schema.
     *
     * @param create whether a missing H2 file is created (import, restore) or refused (export, backup, training)
     */
    public static AnnotationDatabase open(String fileOrUrl, Path base, boolean create) {
        String url = url(fileOrUrl, base);
        String shown = fileOrUrl.startsWith("jdbc:") ? withoutPassword(fileOrUrl) : h2File(fileOrUrl, base) + H2_SUFFIX;
        if (!fileOrUrl.startsWith("jdbc:") && !create && !Files.isRegularFile(Path.of(h2File(fileOrUrl, base) + H2_SUFFIX))) {
            throw new BadInputException(shown + ": annotation database not found; check the path, or create it with "
                    + "pneuknow annotations import");
        }
        Path h2File = fileOrUrl.startsWith("jdbc:") ? null : Path.of(h2File(fileOrUrl, base) + H2_SUFFIX);
        boolean newFile = h2File != null && !Files.exists(h2File);
        AnnotationDatabase database;
        try {
            database = new AnnotationDatabase(url, shown);
            if (newFile) {
                ownerOnly(h2File);
            }
        } catch (SQLException e) {
            throw new BadInputException(shown + ": cannot open the annotation database (" + oneLine(e)
                    + "); check the URL, that the server runs, and that no other program holds the file");
        }
        try {
            Migrations.apply(database);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        return database;
    }

    /** A new H2 file is readable by its owner only (it holds people's key hashes and every annotation). */
    private static void ownerOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | java.io.IOException e) {
            // not a POSIX file system: its own defaults apply
        }
    }

    /** The JDBC URL for a {@code jdbc:} URL (as given) or an H2 file path (resolved against {@code base}). */
    static String url(String fileOrUrl, Path base) {
        if (fileOrUrl.startsWith("jdbc:")) {
            return fileOrUrl;
        }
        return "jdbc:h2:file:" + h2File(fileOrUrl, base) + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";
    }

    private static String h2File(String file, Path base) {
        String name = file.endsWith(H2_SUFFIX) ? file.substring(0, file.length() - H2_SUFFIX.length()) : file;
        Path path = Path.of(name);
        return (base == null ? path : base.resolve(path)).toAbsolutePath().normalize().toString();
    }

    /** A new connection in manual-commit mode; the caller commits or rolls back and closes it. */
    Connection connect() throws SQLException {
        Connection connection = DriverManager.getConnection(url, h2 ? "sa" : null, h2 ? "" : null);
        connection.setAutoCommit(false);
        return connection;
    }

    /** Whether this is an H2 database (some statements differ). */
    boolean isH2() {
        return h2;
    }

    /** The database as messages name it: the H2 file, or the URL without a password. */
    public String shown() {
        return shown;
    }

    @Override
    public void close() {
        if (keeper != null) {
            try {
                keeper.close();
            } catch (SQLException e) {
                // closing: nothing is left to save (every change was committed)
            }
        }
    }

    static String withoutPassword(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    /** An SQL error's message on one line, without a password. */
    static String oneLine(SQLException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = message.indexOf('\n');
        return withoutPassword(newline < 0 ? message : message.substring(0, newline)).trim();
    }
}
