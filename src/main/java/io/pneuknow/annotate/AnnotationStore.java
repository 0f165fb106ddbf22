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
import java.util.Set;

/**
 * The annotations and people of one database. Every change is one transaction that writes the new state and
 * keeps it as a numbered version ({@code region_versions}, {@code no_finding_marks}), so every previous version
 * stays readable ({@link #history(long)}). A change names the version it started from; when someone else
 * changed the region first ({@code UPDATE ... WHERE id = ? AND version = ?} touches no row, or the version row
 * already exists) the change is not written and the editor gets {@link Change.Conflict} with both versions.
 * A method returns only after its transaction committed: that is the acknowledgement.
 */
public final class AnnotationStore {
    /** SQL states that mean "someone else wrote first": unique violation, serialization failure, H2's concurrent update. */
    private static final Set<String> CONFLICT_STATES = Set.of("23505", "40001", "90131");
    private static final String REGION_SELECT = "SELECT r.id, r.image_id, r.region_type, r.label, r.geometry_kind, r.box_x, r.box_y, "
            + "r.box_w, r.box_h, r.polygon, r.mask_file, a.name AS author_name, r.version, r.deleted, r.review_state, "
            + "v.name AS reviewer_name, r.updated_at FROM regions r JOIN people a ON a.id = r.author_id "
            + "LEFT JOIN people v ON v.id = r.reviewer_id";

    private final AnnotationDatabase database;
    private final Clock clock;

    /** A store on an open database, stamping changes with the system clock. */
    public AnnotationStore(AnnotationDatabase database) {
        this(database, Clock.systemUTC());
    }

    /** A store on an open database, stamping changes with {@code clock}. */
    public AnnotationStore(AnnotationDatabase database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** The database this store writes to. */
    public AnnotationDatabase database() {
        return database;
    }

    // ---------------------------------------------------------------- people

    /**
     * Adds a person; {@code credentialHash} is {@link Credentials#hash(String)} of their key, or null (cannot sign in
     * until given one). A name already taken is refused.
     */
    public Person addPerson(String name, Role role, String credentialHash) {
        if (name == null || name.isBlank()) {
            throw new BadInputException("a person needs a name; give --name");
        }
        return transaction(connection -> {
            if (person(connection, name.strip()).isPresent()) {
                throw new BadInputException(database.shown() + ": a person named '" + name.strip()
                        + "' exists already; choose another name");
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO people (name, role, credential_hash, created_at) VALUES (?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                insert.setString(1, name.strip());
                insert.setString(2, role.text());
                insert.setString(3, credentialHash);
                insert.setObject(4, now());
                insert.executeUpdate();
            }
            return person(connection, name.strip()).orElseThrow();
        });
    }

    /** The person of this name, if any. */
    public Optional<Person> person(String name) {
        return transaction(connection -> person(connection, name));
    }

    /** The person of this name, added with {@code role} and no credential when absent (importers, for instance). */
    public Person personOrAdd(String name, Role role) {
        return person(name).orElseGet(() -> addPerson(name, role, null));
    }

    /** Everyone, by name. */
    public List<Person> people() {
        return transaction(connection -> {
            List<Person> people = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, name, role, credential_hash FROM people ORDER BY name");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    people.add(personOf(rows));
                }
            }
            return people;
        });
    }

    /** The person whose name and key match a stored credential hash (compared in constant time); empty otherwise. */
    public Optional<Person> authenticate(String name, String key) {
        return transaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, name, role, credential_hash FROM people WHERE name = ?")) {
                select.setString(1, name);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next() && Credentials.matches(key, rows.getString("credential_hash"))) {
                        return Optional.of(personOf(rows));
                    }
                }
            }
            return Optional.empty();
        });
    }

    // ---------------------------------------------------------------- images

    /** Adds these images, or updates the file, class and part of those already there; one transaction. */
    public void putImages(List<ImageEntry> images) {
        transaction(connection -> {
            putImages(connection, images);
            return null;
        });
    }

    private static void putImages(Connection connection, List<ImageEntry> images) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE images SET file = ?, class_name = ?, part = ? WHERE id = ?");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO images (file, class_name, part, id) VALUES (?, ?, ?, ?)")) {
            for (ImageEntry image : images) {
                for (PreparedStatement statement : List.of(update, insert)) {
                    statement.setString(1, image.file());
                    statement.setString(2, image.className());
                    statement.setString(3, image.part());
                    statement.setString(4, image.id());
                }
                if (update.executeUpdate() == 0) {
                    insert.executeUpdate();
                }
            }
        }
    }

    /** A region to import: the image it belongs to and what it is. */
    public record NewRegion(String imageId, RegionDraft draft) {
    }

    /** What an import did: images added or updated, regions added, regions skipped because an identical one is there. */
    public record ImportCount(int images, int regionsAdded, int regionsAlreadyThere) {
    }

    /**
     * Puts the images and adds the regions in one transaction (all or nothing), each region created by {@code author}
     * as version 1; a region identical to a live one of its image (type, label, geometry) is skipped, so importing
     * the same file twice adds nothing.
     */
    public ImportCount importAll(List<ImageEntry> images, List<NewRegion> regions, Person author) {
        return transaction(connection -> {
            putImages(connection, images);
            OffsetDateTime now = now();
            java.util.Map<String, List<RegionDraft>> existing = new java.util.HashMap<>();
            for (StoredRegion live : regions(connection, " WHERE r.deleted = FALSE ORDER BY r.id", null)) {
                existing.computeIfAbsent(live.imageId(), id -> new ArrayList<>()).add(live.draft());
            }
            int added = 0;
            int skipped = 0;
            for (NewRegion region : regions) {
                List<RegionDraft> drafts = existing.computeIfAbsent(region.imageId(), id -> new ArrayList<>());
                if (drafts.contains(region.draft())) {
                    skipped++;
                    continue;
                }
                requireImage(connection, region.imageId());
                insertRegion(connection, region.imageId(), region.draft(), author, now);
                drafts.add(region.draft());
                added++;
            }
            return new ImportCount(images.size(), added, skipped);
        });
    }

    /** Every image, by id. */
    public List<ImageEntry> images() {
        return transaction(connection -> {
            List<ImageEntry> images = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, file, class_name, part FROM images ORDER BY id");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    images.add(new ImageEntry(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)));
                }
            }
            return images;
        });
    }

    /** The values the image list can be filtered by: the distinct classes and parts, sorted (no nulls). */
    public record Facets(List<String> classes, List<String> parts) {
    }

    /** The distinct classes and parts of the images. */
    public Facets facets() {
        return transaction(connection -> new Facets(distinct(connection, "class_name"), distinct(connection, "part")));
    }

    private static List<String> distinct(Connection connection, String column) throws SQLException {
        List<String> values = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT DISTINCT " + column + " FROM images WHERE " + column + " IS NOT NULL ORDER BY " + column);
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }

    /** The image of this id, if the database has it. */
    public Optional<ImageEntry> image(String imageId) {
        return transaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, file, class_name, part FROM images WHERE id = ?")) {
                select.setString(1, imageId);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(new ImageEntry(rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4))) : Optional.<ImageEntry>empty();
                }
            }
        });
    }

    /**
     * Which images a page of the image list holds: the filters (null: any) and the window into the list, which is
     * ordered by image id (a stable order: the same query gives the same page).
     *
     * @param className only images of this class
     * @param part only images of this split part
     * @param annotated only images with (true) or without (false) a live region
     * @param noFinding only images whose current "no finding" mark is set (true) or not (false)
     * @param modelId the model whose stored predictions the rows carry and the two filters below read; null: none
     * @param predicted only images this model predicted as this class (needs {@code modelId})
     * @param correct only images whose prediction equals their class (true) or differs from it (false); images not
     *                yet predicted, or without a class, match neither (needs {@code modelId})
     * @param disagree only images where the model disagrees with the expert (true: its class is not the image's, or
     *                 its heat share inside the lesion regions is below their area share, as
     *                 {@link StoredPrediction#disagreesWith}) or agrees (false: predicted and neither holds); images
     *                 not yet predicted match neither (needs {@code modelId})
     * @param offset images skipped from the start of the filtered list (0 or more)
     * @param limit images on the page (1 or more)
     */
    public record ImageQuery(String className, String part, Boolean annotated, Boolean noFinding, String modelId,
                             String predicted, Boolean correct, Boolean disagree, int offset, int limit) {
        /** Refuses a negative offset, a limit below 1, and prediction filters without a model. */
        public ImageQuery {
            if (offset < 0 || limit < 1) {
                throw new IllegalArgumentException("offset must be 0 or more and limit 1 or more");
            }
            if (modelId == null && (predicted != null || correct != null || disagree != null)) {
                throw new IllegalArgumentException("the predicted, correct and disagree filters need a model id");
            }
        }

        /** A query without the disagreement filter. */
        public ImageQuery(String className, String part, Boolean annotated, Boolean noFinding, String modelId,
                          String predicted, Boolean correct, int offset, int limit) {
            this(className, part, annotated, noFinding, modelId, predicted, correct, null, offset, limit);
        }

        /** A query without a model: rows carry no prediction. */
        public ImageQuery(String className, String part, Boolean annotated, Boolean noFinding, int offset, int limit) {
            this(className, part, annotated, noFinding, null, null, null, null, offset, limit);
        }
    }

    /**
     * One row of the image list: the image, its count of live regions, whether it is marked "no finding", and the
     * query's model's prediction of it (null when the query names no model or the model has not predicted it yet).
     */
    public record ImageRow(ImageEntry image, int regions, boolean noFinding, StoredPrediction prediction) {
        /** A row without a prediction. */
        public ImageRow(ImageEntry image, int regions, boolean noFinding) {
            this(image, regions, noFinding, null);
        }
    }

    /** A page of the image list: how many images the filters match in all, and this page's rows in id order. */
    public record ImagePage(int total, List<ImageRow> rows) {
    }

    /** The page of the image list that {@code query} names; one transaction, so total and rows agree. */
    public ImagePage images(ImageQuery query) {
        // with a model, each image is joined to at most one prediction (the key is image and model)
        String from = query.modelId() == null ? " FROM images i"
                : " FROM images i LEFT JOIN predictions p ON p.image_id = i.id AND p.model_id = ?";
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        if (query.modelId() != null) {
            parameters.add(query.modelId());
        }
        if (query.className() != null) {
            where.append(" AND i.class_name = ?");
            parameters.add(query.className());
        }
        if (query.part() != null) {
            where.append(" AND i.part = ?");
            parameters.add(query.part());
        }
        if (query.annotated() != null) {
            where.append(query.annotated() ? " AND" : " AND NOT").append(" EXISTS (SELECT 1 FROM regions r "
                    + "WHERE r.image_id = i.id AND r.deleted = FALSE)");
        }
        String marked = "EXISTS (SELECT 1 FROM no_finding_marks m WHERE m.image_id = i.id AND m.marked = TRUE "
                + "AND m.version = (SELECT MAX(n.version) FROM no_finding_marks n WHERE n.image_id = i.id))";
        if (query.noFinding() != null) {
            where.append(query.noFinding() ? " AND " : " AND NOT ").append(marked);
        }
        if (query.predicted() != null) {
            where.append(" AND p.label = ?");
            parameters.add(query.predicted());
        }
        if (query.correct() != null) {
            // a missing prediction or class makes either comparison unknown, so such an image matches neither
            where.append(query.correct() ? " AND p.label = i.class_name" : " AND p.label <> i.class_name");
        }
        if (query.disagree() != null) {
            where.append(query.disagree() ? " AND " + DISAGREES : " AND p.label IS NOT NULL AND NOT " + DISAGREES);
        }
        String prediction = query.modelId() == null ? ", NULL, NULL, NULL, NULL"
                : ", p.label, p.probability, p.heat_inside, p.region_area";
        return transaction(connection -> {
            int total;
            try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*)" + from + where)) {
                for (int p = 0; p < parameters.size(); p++) {
                    count.setObject(p + 1, parameters.get(p));
                }
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    total = rows.getInt(1);
                }
            }
            List<ImageRow> page = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT i.id, i.file, i.class_name, i.part, "
                    + "(SELECT COUNT(*) FROM regions r WHERE r.image_id = i.id AND r.deleted = FALSE), CASE WHEN " + marked
                    + " THEN 1 ELSE 0 END" + prediction + from + where + " ORDER BY i.id OFFSET ? ROWS FETCH NEXT ? ROWS ONLY")) {
                int p = 0;
                for (; p < parameters.size(); p++) {
                    select.setObject(p + 1, parameters.get(p));
                }
                select.setInt(p + 1, query.offset());
                select.setInt(p + 2, query.limit());
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        String label = rows.getString(7);
                        page.add(new ImageRow(new ImageEntry(rows.getString(1), rows.getString(2), rows.getString(3),
                                rows.getString(4)), rows.getInt(5), rows.getInt(6) == 1,
                                label == null ? null : new StoredPrediction(rows.getString(1), label, rows.getDouble(8),
                                        nullableDouble(rows, 9), nullableDouble(rows, 10))));
                    }
                }
            }
            return new ImagePage(total, page);
        });
    }

    // ---------------------------------------------------------------- predictions

    /**
     * Whether a prediction row {@code p} of image {@code i} disagrees with the expert, as SQL: the class differs from
     * the image's, or the heat share inside the lesion regions is below the share of the image they cover (heat no
     * more on the regions than heat spread evenly would be). An unknown comparison (no class, no regions, no heat) is
     * not a disagreement; COALESCE makes it false rather than unknown, so NOT of it is "agrees".
     */
    private static final String DISAGREES = "COALESCE(p.label <> i.class_name OR p.heat_inside < p.region_area, FALSE)";

    private static Double nullableDouble(ResultSet rows, int column) throws SQLException {
        double value = rows.getDouble(column);
        return rows.wasNull() ? null : value;
    }

    /**
     * Stores a model's predictions in one transaction and answers how many were added; an image this model has a
     * prediction for already keeps it (the first stored wins, so two predictors of the same model never fail on
     * each other). Every image must be in the database.
     */
    public int putPredictions(String modelId, List<StoredPrediction> predictions) {
        if (modelId == null || modelId.isBlank()) {
            throw new IllegalArgumentException("predictions need the model's id");
        }
        try {
            return transaction(connection -> insertPredictions(connection, modelId, predictions));
        } catch (IllegalStateException e) {
            // another writer stored some of these ids between our check and our insert: once more skips them
            if (e.getCause() instanceof SQLException sql && sql.getSQLState() != null && CONFLICT_STATES.contains(sql.getSQLState())) {
                return transaction(connection -> insertPredictions(connection, modelId, predictions));
            }
            throw e;
        }
    }

    private static int insertPredictions(Connection connection, String modelId, List<StoredPrediction> predictions)
            throws SQLException {
        int added = 0;
        try (PreparedStatement exists = connection.prepareStatement(
                "SELECT 1 FROM predictions WHERE image_id = ? AND model_id = ?");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO predictions (image_id, model_id, label, probability, heat_inside, region_area) "
                             + "VALUES (?, ?, ?, ?, ?, ?)")) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (StoredPrediction prediction : predictions) {
                if (!seen.add(prediction.imageId())) {
                    continue;
                }
                exists.setString(1, prediction.imageId());
                exists.setString(2, modelId);
                try (ResultSet rows = exists.executeQuery()) {
                    if (rows.next()) {
                        continue;
                    }
                }
                insert.setString(1, prediction.imageId());
                insert.setString(2, modelId);
                insert.setString(3, prediction.label());
                insert.setDouble(4, prediction.probability());
                insert.setObject(5, prediction.heatInside(), Types.DOUBLE);
                insert.setObject(6, prediction.regionArea(), Types.DOUBLE);
                insert.executeUpdate();
                added++;
            }
        }
        return added;
    }

    /** The images this model has no stored prediction for, by id. */
    public List<ImageEntry> imagesWithoutPrediction(String modelId) {
        return transaction(connection -> {
            List<ImageEntry> images = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT id, file, class_name, part FROM images i "
                    + "WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.image_id = i.id AND p.model_id = ?) ORDER BY id")) {
                select.setString(1, modelId);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        images.add(new ImageEntry(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)));
                    }
                }
            }
            return images;
        });
    }

    /** This model's stored prediction of this image, if any. */
    public Optional<StoredPrediction> prediction(String imageId, String modelId) {
        return transaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT label, probability, heat_inside, region_area FROM predictions WHERE image_id = ? AND model_id = ?")) {
                select.setString(1, imageId);
                select.setString(2, modelId);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(new StoredPrediction(imageId, rows.getString(1), rows.getDouble(2),
                            nullableDouble(rows, 3), nullableDouble(rows, 4))) : Optional.<StoredPrediction>empty();
                }
            }
        });
    }

    /**
     * Replaces the heat shares of this model's stored prediction of this image (its regions changed); answers whether
     * there was a prediction to update. Both null: the image has no lesion regions now.
     */
    public boolean updateHeatShares(String imageId, String modelId, Double heatInside, Double regionArea) {
        StoredPrediction checked = new StoredPrediction(imageId, "-", 0, heatInside, regionArea); // the ranges' checks
        return transaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE predictions SET heat_inside = ?, region_area = ? WHERE image_id = ? AND model_id = ?")) {
                update.setObject(1, checked.heatInside(), Types.DOUBLE);
                update.setObject(2, checked.regionArea(), Types.DOUBLE);
                update.setString(3, imageId);
                update.setString(4, modelId);
                return update.executeUpdate() == 1;
            }
        });
    }

    /** How many images this model's stored predictions disagree with the expert on ({@link ImageQuery#disagree}). */
    public int disagreements(String modelId) {
        return transaction(connection -> {
            try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM predictions p "
                    + "JOIN images i ON i.id = p.image_id WHERE p.model_id = ? AND " + DISAGREES)) {
                count.setString(1, modelId);
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    return rows.getInt(1);
                }
            }
        });
    }

    /** How far a model's predictions have come: images it has a stored prediction for, of all the images. */
    public record PredictionProgress(int predicted, int images) {
    }

    /** How many images this model has a stored prediction for, and how many images there are; one transaction. */
    public PredictionProgress predictionProgress(String modelId) {
        return transaction(connection -> {
            int predicted;
            try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM predictions WHERE model_id = ?")) {
                count.setString(1, modelId);
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    predicted = rows.getInt(1);
                }
            }
            try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM images");
                 ResultSet rows = count.executeQuery()) {
                rows.next();
                return new PredictionProgress(predicted, rows.getInt(1));
            }
        });
    }

    // ---------------------------------------------------------------- regions

    /** Adds a region to an image as version 1 (review pending), kept in its history; one transaction. */
    public StoredRegion createRegion(String imageId, RegionDraft draft, Person author) {
        return transaction(connection -> {
            requireImage(connection, imageId);
            long id = insertRegion(connection, imageId, draft, author, now());
            return region(connection, id).orElseThrow();
        });
    }

    private static long insertRegion(Connection connection, String imageId, RegionDraft draft, Person author,
                                     OffsetDateTime now) throws SQLException {
        long id;
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO regions (image_id, region_type, label, "
                + "geometry_kind, box_x, box_y, box_w, box_h, polygon, mask_file, author_id, version, deleted, "
                + "review_state, reviewer_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, FALSE, 'pending', NULL, ?)",
                Statement.RETURN_GENERATED_KEYS)) {
            insert.setString(1, imageId);
            setDraft(insert, 2, draft);
            insert.setLong(11, author.id());
            insert.setObject(12, now);
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong("id");
            }
        }
        insertVersion(connection, id, 1, "create", author, now, draft, false, ReviewState.PENDING);
        return id;
    }

    /** Replaces a region's type, label and geometry, starting from {@code baseVersion}; the review goes back to pending. */
    public Change<StoredRegion> editRegion(long regionId, int baseVersion, RegionDraft draft, Person editor) {
        return change(regionId, baseVersion, editor, "edit", current -> draft, false, ReviewState.PENDING, null);
    }

    /** Marks a region deleted (kept, with its history), starting from {@code baseVersion}. */
    public Change<StoredRegion> deleteRegion(long regionId, int baseVersion, Person editor) {
        return change(regionId, baseVersion, editor, "delete", StoredRegion::draft, true, ReviewState.PENDING, null);
    }

    /** A reviewer accepts or rejects a region's version {@code baseVersion}; an annotator is refused. */
    public Change<StoredRegion> review(long regionId, int baseVersion, ReviewState verdict, Person reviewer) {
        if (!reviewer.role().reviews()) {
            throw new BadInputException(reviewer.name() + " is an annotator; only a reviewer or an admin may review regions");
        }
        if (verdict == ReviewState.PENDING) {
            throw new BadInputException("a review accepts or rejects; give accepted or rejected");
        }
        return change(regionId, baseVersion, reviewer, "review", StoredRegion::draft, false, verdict, reviewer);
    }

    /** What a change makes of the current region's draft. */
    private interface DraftChange {
        RegionDraft apply(StoredRegion current);
    }

    private Change<StoredRegion> change(long regionId, int baseVersion, Person editor, String kind, DraftChange drafting,
                                        boolean deleted, ReviewState review, Person reviewer) {
        return transaction(connection -> {
            StoredRegion current = region(connection, regionId).orElseThrow(() -> new BadInputException(
                    database.shown() + ": region " + regionId + " not found; reload the image's regions"));
            if ("review".equals(kind) && current.deleted()) {
                throw new BadInputException("region " + regionId + " is deleted; there is nothing to review");
            }
            RegionDraft draft = drafting.apply(current);
            OffsetDateTime now = now();
            StoredRegion yours = new StoredRegion(regionId, current.imageId(), draft, current.author(), baseVersion, deleted,
                    review, reviewer == null ? null : reviewer.name(), now.toInstant());
            int next = baseVersion + 1;
            try {
                int updated;
                try (PreparedStatement update = connection.prepareStatement("UPDATE regions SET region_type = ?, label = ?, "
                        + "geometry_kind = ?, box_x = ?, box_y = ?, box_w = ?, box_h = ?, polygon = ?, mask_file = ?, "
                        + "version = ?, deleted = ?, review_state = ?, reviewer_id = ?, updated_at = ? "
                        + "WHERE id = ? AND version = ?")) {
                    setDraft(update, 1, draft);
                    update.setInt(10, next);
                    update.setBoolean(11, deleted);
                    update.setString(12, review.text());
                    if (reviewer == null) {
                        update.setNull(13, Types.BIGINT);
                    } else {
                        update.setLong(13, reviewer.id());
                    }
                    update.setObject(14, now);
                    update.setLong(15, regionId);
                    update.setInt(16, baseVersion);
                    updated = update.executeUpdate();
                }
                if (updated == 0) {
                    return conflict(connection, regionId, yours);
                }
                insertVersion(connection, regionId, next, kind, editor, now, draft, deleted, review);
            } catch (SQLException e) {
                if (e.getSQLState() != null && CONFLICT_STATES.contains(e.getSQLState())) {
                    return conflict(connection, regionId, yours);
                }
                throw e;
            }
            return new Change.Saved<>(region(connection, regionId).orElseThrow());
        });
    }

    /** Rolls back this transaction's writes and reads the region as the other writer left it. */
    private Change<StoredRegion> conflict(Connection connection, long regionId, StoredRegion yours) throws SQLException {
        connection.rollback();
        return new Change.Conflict<>(region(connection, regionId).orElseThrow(), yours);
    }

    /** The region of this id as it is now, deleted or not. */
    public Optional<StoredRegion> region(long regionId) {
        return transaction(connection -> region(connection, regionId));
    }

    /** An image's regions that are not deleted, in the order they were created. */
    public List<StoredRegion> regions(String imageId) {
        return transaction(connection -> regions(connection, " WHERE r.image_id = ? AND r.deleted = FALSE ORDER BY r.id", imageId));
    }

    /** Every region that is not deleted, by image id and creation order: what export and training read. */
    public List<StoredRegion> liveRegions() {
        return transaction(connection -> regions(connection, " WHERE r.deleted = FALSE ORDER BY r.image_id, r.id", null));
    }

    /** Every version of a region, oldest first; the last is the current state. */
    public List<RegionVersion> history(long regionId) {
        return transaction(connection -> {
            List<RegionVersion> versions = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT h.region_id, h.version, h.change, p.name, "
                    + "h.changed_at, h.region_type, h.label, h.geometry_kind, h.box_x, h.box_y, h.box_w, h.box_h, h.polygon, "
                    + "h.mask_file, h.deleted, h.review_state FROM region_versions h JOIN people p ON p.id = h.changed_by "
                    + "WHERE h.region_id = ? ORDER BY h.version")) {
                select.setLong(1, regionId);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        versions.add(new RegionVersion(rows.getLong(1), rows.getInt(2), rows.getString(3), rows.getString(4),
                                instant(rows, 5), draftOf(rows, 6), rows.getBoolean(15), ReviewState.of(rows.getString(16))));
                    }
                }
            }
            return versions;
        });
    }

    // ---------------------------------------------------------------- no finding

    /** An image's "no finding" mark as it stands (version 0, unmarked, when never set). */
    public NoFindingMark noFinding(String imageId) {
        return transaction(connection -> noFinding(connection, imageId));
    }

    /** Marks an image "no finding" or withdraws the mark, starting from the mark's {@code baseVersion}. */
    public Change<NoFindingMark> markNoFinding(String imageId, int baseVersion, boolean marked, Person person) {
        return transaction(connection -> {
            requireImage(connection, imageId);
            OffsetDateTime now = now();
            NoFindingMark yours = new NoFindingMark(imageId, marked, baseVersion + 1, person.name(), now.toInstant());
            NoFindingMark current = noFinding(connection, imageId);
            if (current.version() != baseVersion) {
                return new Change.Conflict<>(current, yours);
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO no_finding_marks "
                    + "(image_id, version, marked, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)")) {
                insert.setString(1, imageId);
                insert.setInt(2, baseVersion + 1);
                insert.setBoolean(3, marked);
                insert.setLong(4, person.id());
                insert.setObject(5, now);
                insert.executeUpdate();
            } catch (SQLException e) {
                if (e.getSQLState() != null && CONFLICT_STATES.contains(e.getSQLState())) {
                    connection.rollback();
                    return new Change.Conflict<>(noFinding(connection, imageId), yours);
                }
                throw e;
            }
            return new Change.Saved<>(noFinding(connection, imageId));
        });
    }

    // ---------------------------------------------------------------- plumbing

    /** Work inside one transaction. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    <T> T transaction(Work<T> work) {
        try (Connection connection = database.connect()) {
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(database.shown() + ": " + AnnotationDatabase.oneLine(e), e);
        }
    }

    private OffsetDateTime now() {
        // microseconds: what PostgreSQL keeps, so a value read back equals the value written on both databases
        return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    private void requireImage(Connection connection, String imageId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM images WHERE id = ?")) {
            select.setString(1, imageId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    throw new BadInputException(database.shown() + ": image '" + imageId
                            + "' is not in the database; import its data set first (pneuknow annotations import)");
                }
            }
        }
    }

    private static Optional<Person> person(Connection connection, String name) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id, name, role, credential_hash FROM people WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(personOf(rows)) : Optional.empty();
            }
        }
    }

    private static Person personOf(ResultSet rows) throws SQLException {
        return new Person(rows.getLong("id"), rows.getString("name"), Role.of(rows.getString("role")),
                rows.getString("credential_hash") != null);
    }

    private static Optional<StoredRegion> region(Connection connection, long regionId) throws SQLException {
        List<StoredRegion> found = regions(connection, " WHERE r.id = ?", regionId);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    private static List<StoredRegion> regions(Connection connection, String where, Object parameter) throws SQLException {
        List<StoredRegion> regions = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(REGION_SELECT + where)) {
            if (parameter != null) {
                select.setObject(1, parameter);
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String reviewer = rows.getString(16);
                    regions.add(new StoredRegion(rows.getLong(1), rows.getString(2), draftOf(rows, 3), rows.getString(12),
                            rows.getInt(13), rows.getBoolean(14), ReviewState.of(rows.getString(15)), reviewer, instant(rows, 17)));
                }
            }
        }
        return regions;
    }

    private NoFindingMark noFinding(Connection connection, String imageId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT m.marked, m.version, p.name, m.changed_at "
                + "FROM no_finding_marks m JOIN people p ON p.id = m.changed_by WHERE m.image_id = ? "
                + "ORDER BY m.version DESC FETCH FIRST 1 ROWS ONLY")) {
            select.setString(1, imageId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return new NoFindingMark(imageId, false, 0, null, null);
                }
                return new NoFindingMark(imageId, rows.getBoolean(1), rows.getInt(2), rows.getString(3), instant(rows, 4));
            }
        }
    }

    private static void insertVersion(Connection connection, long regionId, int version, String change, Person person,
                                      OffsetDateTime at, RegionDraft draft, boolean deleted, ReviewState review)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO region_versions (region_type, label, "
                + "geometry_kind, box_x, box_y, box_w, box_h, polygon, mask_file, region_id, version, change, changed_by, "
                + "changed_at, deleted, review_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            setDraft(insert, 1, draft);
            insert.setLong(10, regionId);
            insert.setInt(11, version);
            insert.setString(12, change);
            insert.setLong(13, person.id());
            insert.setObject(14, at);
            insert.setBoolean(15, deleted);
            insert.setString(16, review.text());
            insert.executeUpdate();
        }
    }

    /** Sets type, label, geometry kind, box x/y/w/h, polygon and mask file: 9 parameters from {@code first}. */
    private static void setDraft(PreparedStatement statement, int first, RegionDraft draft) throws SQLException {
        Geometry geometry = draft.geometry();
        statement.setString(first, draft.type());
        statement.setString(first + 1, draft.label());
        statement.setString(first + 2, geometry.kind().text());
        Geometry.Box box = geometry.box();
        for (int i = 0; i < 4; i++) {
            if (box == null) {
                statement.setNull(first + 3 + i, Types.INTEGER);
            } else {
                statement.setInt(first + 3 + i, new int[] {box.x(), box.y(), box.width(), box.height()}[i]);
            }
        }
        statement.setString(first + 7, geometry.polygonText());
        statement.setString(first + 8, geometry.maskFile());
    }

    /** Reads type, label, geometry kind, box x/y/w/h, polygon and mask file from 9 columns at {@code first}. */
    private static RegionDraft draftOf(ResultSet rows, int first) throws SQLException {
        String kind = rows.getString(first + 2);
        int x = rows.getInt(first + 3);
        boolean hasBox = !rows.wasNull();
        Geometry.Box box = hasBox ? new Geometry.Box(x, rows.getInt(first + 4), rows.getInt(first + 5), rows.getInt(first + 6)) : null;
        Geometry geometry = switch (kind) {
            case "box" -> new Geometry(Geometry.Kind.BOX, box, List.of(), null);
            case "polygon" -> new Geometry(Geometry.Kind.POLYGON, box, Geometry.parsePolygon(rows.getString(first + 7)), null);
            default -> Geometry.mask(rows.getString(first + 8), box);
        };
        return new RegionDraft(rows.getString(first), rows.getString(first + 1), geometry);
    }

    private static Instant instant(ResultSet rows, int column) throws SQLException {
        OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
