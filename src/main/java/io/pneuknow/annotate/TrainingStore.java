package io.pneuknow.annotate;

import io.pneuknow.BadInputException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The training jobs started from the workspace and the model registry, in the annotation database (tables
 * {@code jobs} and {@code models}, migration V3). Every method is one transaction, acknowledged once committed.
 * A job moves queued -> running -> done | failed | cancelled; a state change names the states it may start from,
 * so a job cancelled meanwhile is never marked done. A job's model is registered in the transaction that marks it
 * done. At most one model is promoted: promoting clears the others in the same transaction.
 */
public final class TrainingStore {
    private static final String JOB_SELECT = "SELECT j.id, j.kind, j.settings, j.snapshot_id, j.state, p.name, j.created_at, "
            + "j.started_at, j.finished_at, j.output_folder, j.progress, j.message FROM jobs j JOIN people p ON p.id = j.created_by";
    private static final String MODEL_SELECT = "SELECT id, job_id, model_folder, model_id, weights_sha256, method, architecture, "
            + "metrics, card, data_fingerprint, snapshot_id, created_at, promoted FROM models";

    private final AnnotationStore store;
    private final Clock clock;

    /** The jobs and models of the store's database, stamped with the system clock. */
    public TrainingStore(AnnotationStore store) {
        this(store, Clock.systemUTC());
    }

    /** The jobs and models of the store's database, stamped with {@code clock}. */
    public TrainingStore(AnnotationStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- jobs

    /**
     * Queues a job of this kind (a training method's name, or {@code study}: the jobs package checks it against train's
     * registry, which this package does not know) with these settings (JSON), started by {@code person}; progress 0.
     */
    public Job addJob(String kind, String settingsJson, Person person) {
        if (kind == null || kind.isBlank() || kind.length() > 32) {
            throw new BadInputException("job kind '" + kind + "' must be a training method's name or study, of 1 to 32 characters");
        }
        return store.transaction(connection -> {
            long id;
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO jobs (kind, settings, state, created_by, "
                    + "created_at, progress) VALUES (?, ?, 'queued', ?, ?, 0)", Statement.RETURN_GENERATED_KEYS)) {
                insert.setString(1, kind);
                insert.setString(2, settingsJson);
                insert.setLong(3, person.id());
                insert.setObject(4, now());
                insert.executeUpdate();
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    id = keys.getLong(1);
                }
            }
            return job(connection, id).orElseThrow();
        });
    }

    /** The job of this id, if any. */
    public Optional<Job> job(long id) {
        return store.transaction(connection -> job(connection, id));
    }

    /** Every job, newest first. */
    public List<Job> jobs() {
        return store.transaction(connection -> jobs(connection, " ORDER BY j.id DESC", null));
    }

    /** The jobs in this state, oldest first. */
    public List<Job> jobs(JobState state) {
        return store.transaction(connection -> jobs(connection, " WHERE j.state = ? ORDER BY j.id", state.text()));
    }

    /**
     * Marks a queued (or, on resume, running) job running in {@code folder} on the annotation snapshot
     * {@code snapshotId}; false when it is in neither state (cancelled meanwhile).
     */
    public boolean markRunning(long id, String folder, String snapshotId) {
        return update(id, "state = 'running', output_folder = ?, snapshot_id = ?, started_at = ?, message = NULL",
                List.of(JobState.QUEUED, JobState.RUNNING), folder, snapshotId, now());
    }

    /** Records a running job's progress (0..1) and message; false when it is no longer running. */
    public boolean progress(long id, double progress, String message) {
        return update(id, "progress = ?, message = ?", List.of(JobState.RUNNING), Math.max(0, Math.min(1, progress)),
                message);
    }

    /** Ends a running job as failed with the reason; false when it is no longer running (cancelled meanwhile). */
    public boolean fail(long id, String message) {
        return update(id, "state = 'failed', message = ?, finished_at = ?", List.of(JobState.RUNNING), message, now());
    }

    /** Cancels a queued or running job; false when it had ended already. */
    public boolean cancel(long id, String message) {
        return update(id, "state = 'cancelled', message = ?, finished_at = ?", List.of(JobState.QUEUED, JobState.RUNNING),
                message, now());
    }

    /**
     * Ends a running job as done and registers its model, in one transaction; empty (nothing written) when the job
     * is no longer running (cancelled meanwhile).
     */
    public Optional<RegisteredModel> finish(long id, RegisteredModel.Draft model) {
        return store.transaction(connection -> {
            if (!update(connection, id, "state = 'done', progress = 1, message = NULL, finished_at = ?",
                    List.of(JobState.RUNNING), now())) {
                return Optional.empty();
            }
            return Optional.of(insertModel(connection, model));
        });
    }

    /**
     * Ends a running job that registers no model (a study) as done, with a message; false when it is no longer
     * running (cancelled meanwhile).
     */
    public boolean finishWithoutModel(long id, String message) {
        return update(id, "state = 'done', progress = 1, message = ?, finished_at = ?", List.of(JobState.RUNNING), message,
                now());
    }

    // ---------------------------------------------------------------- models

    /** Registers a model (not promoted). */
    public RegisteredModel register(RegisteredModel.Draft model) {
        return store.transaction(connection -> insertModel(connection, model));
    }

    /** The registered model of this id, if any. */
    public Optional<RegisteredModel> model(long id) {
        return store.transaction(connection -> models(connection, " WHERE id = ?", id).stream().findFirst());
    }

    /** Every registered model, newest first. */
    public List<RegisteredModel> models() {
        return store.transaction(connection -> models(connection, " ORDER BY id DESC", null));
    }

    /** The promoted model, if one is. */
    public Optional<RegisteredModel> promoted() {
        return store.transaction(connection -> models(connection, " WHERE promoted = TRUE", null).stream().findFirst());
    }

    /** Promotes this model and no other, in one transaction; empty when there is no such model. */
    public Optional<RegisteredModel> promote(long id) {
        return store.transaction(connection -> {
            if (models(connection, " WHERE id = ?", id).isEmpty()) {
                return Optional.empty();
            }
            try (PreparedStatement clear = connection.prepareStatement(
                    "UPDATE models SET promoted = FALSE, promoted_key = NULL WHERE promoted = TRUE AND id <> ?");
                 PreparedStatement set = connection.prepareStatement(
                         "UPDATE models SET promoted = TRUE, promoted_key = 1 WHERE id = ?")) {
                clear.setLong(1, id);
                clear.executeUpdate();
                set.setLong(1, id);
                set.executeUpdate();
            }
            return models(connection, " WHERE id = ?", id).stream().findFirst();
        });
    }

    // ---------------------------------------------------------------- plumbing

    private boolean update(long id, String set, List<JobState> from, Object... values) {
        return store.transaction(connection -> update(connection, id, set, from, values));
    }

    /** UPDATE jobs SET {@code set} WHERE id = ? AND state IN ({@code from}); whether a row changed. */
    private static boolean update(Connection connection, long id, String set, List<JobState> from, Object... values)
            throws SQLException {
        String states = String.join(", ", from.stream().map(s -> "'" + s.text() + "'").toList());
        try (PreparedStatement update = connection.prepareStatement("UPDATE jobs SET " + set + " WHERE id = ? AND state IN ("
                + states + ")")) {
            int i = 1;
            for (Object value : values) {
                if (value == null) {
                    update.setNull(i++, Types.VARCHAR);
                } else {
                    update.setObject(i++, value);
                }
            }
            update.setLong(i, id);
            return update.executeUpdate() == 1;
        }
    }

    private RegisteredModel insertModel(Connection connection, RegisteredModel.Draft model) throws SQLException {
        long id;
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO models (job_id, model_folder, model_id, "
                + "weights_sha256, method, architecture, metrics, card, data_fingerprint, snapshot_id, created_at, promoted) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE)", Statement.RETURN_GENERATED_KEYS)) {
            if (model.jobId() == null) {
                insert.setNull(1, Types.BIGINT);
            } else {
                insert.setLong(1, model.jobId());
            }
            insert.setString(2, model.modelFolder());
            insert.setString(3, model.modelId());
            insert.setString(4, model.weightsSha256());
            insert.setString(5, model.method());
            insert.setString(6, model.architecture());
            insert.setString(7, model.metrics());
            insert.setString(8, model.card());
            insert.setString(9, model.dataFingerprint());
            insert.setString(10, model.snapshotId());
            insert.setObject(11, now());
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong(1);
            }
        }
        return models(connection, " WHERE id = ?", id).get(0);
    }

    private static Optional<Job> job(Connection connection, long id) throws SQLException {
        return jobs(connection, " WHERE j.id = ?", id).stream().findFirst();
    }

    private static List<Job> jobs(Connection connection, String where, Object parameter) throws SQLException {
        List<Job> jobs = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(JOB_SELECT + where)) {
            if (parameter != null) {
                select.setObject(1, parameter);
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    jobs.add(new Job(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4),
                            JobState.of(rows.getString(5)), rows.getString(6), instant(rows, 7), instant(rows, 8),
                            instant(rows, 9), rows.getString(10), rows.getDouble(11), rows.getString(12)));
                }
            }
        }
        return jobs;
    }

    private static List<RegisteredModel> models(Connection connection, String where, Object parameter) throws SQLException {
        List<RegisteredModel> models = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(MODEL_SELECT + where)) {
            if (parameter != null) {
                select.setObject(1, parameter);
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    long job = rows.getLong(2);
                    Long jobId = rows.wasNull() ? null : job;
                    models.add(new RegisteredModel(rows.getLong(1), jobId, rows.getString(3),
                            rows.getString(4), rows.getString(5), rows.getString(6), rows.getString(7), rows.getString(8),
                            rows.getString(9), rows.getString(10), rows.getString(11), instant(rows, 12), rows.getBoolean(13)));
                }
            }
        }
        return models;
    }

    private OffsetDateTime now() {
        // microseconds: what PostgreSQL keeps, so a value read back equals the value written on both databases
        return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rows, int column) throws SQLException {
        OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
