package io.pneuknow.annotate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store's behaviour, the same against every database: H2 ({@link AnnotationStoreH2Test}) and a real
 * PostgreSQL server ({@link AnnotationStorePostgresTest}). A subclass gives a fresh, empty database per call.
 */
abstract class AnnotationStoreContract {
    static final Instant START = Instant.parse("2026-12-07T09:00:00Z");

    /** A fresh empty database (a new file, or a new PostgreSQL schema), opened and migrated. */
    abstract AnnotationDatabase freshDatabase();

    private final List<AnnotationDatabase> opened = new ArrayList<>();
    StoreFixtures.TestClock clock;
    AnnotationStore store;
    Person ann;
    Person bob;
    Person rita;

    AnnotationDatabase track(AnnotationDatabase database) {
        opened.add(database);
        return database;
    }

    @BeforeEach
    void openStore() {
        clock = new StoreFixtures.TestClock(START);
        store = new AnnotationStore(track(freshDatabase()), clock);
        StoreFixtures.putThreeImages(store);
        ann = store.addPerson("ann", Role.ANNOTATOR, null);
        bob = store.addPerson("bob", Role.ANNOTATOR, null);
        rita = store.addPerson("rita", Role.REVIEWER, null);
    }

    @AfterEach
    void closeDatabases() {
        opened.forEach(AnnotationDatabase::close);
    }

    @Test
    void theImageListIsPagedInIdOrderAndFiltered() {
        // a, b: pneumonia/train; c: normal/test. b gets a region, c a "no finding" mark (then a withdrawn one on a)
        store.createRegion("b", new RegionDraft("lesion", "opacity", Geometry.box(1, 2, 3, 4)), ann);
        store.markNoFinding("c", 0, true, ann);
        store.markNoFinding("a", 0, true, ann);
        store.markNoFinding("a", 1, false, ann);
        AnnotationStore.ImagePage all = store.images(new AnnotationStore.ImageQuery(null, null, null, null, 1, 5));
        assertThat(all.total()).isEqualTo(3);
        assertThat(all.rows()).extracting(row -> row.image().id()).containsExactly("b", "c");
        assertThat(all.rows().get(0).regions()).isEqualTo(1);
        assertThat(all.rows().get(1).noFinding()).isTrue();
        assertThat(store.images(new AnnotationStore.ImageQuery("pneumonia", "train", false, null, 0, 5)).rows())
                .extracting(row -> row.image().id()).containsExactly("a");
        assertThat(store.images(new AnnotationStore.ImageQuery(null, null, null, true, 0, 5)).rows())
                .extracting(row -> row.image().id()).containsExactly("c");
        AnnotationStore.ImagePage notMarked = store.images(new AnnotationStore.ImageQuery(null, null, null, false, 0, 1));
        assertThat(notMarked.total()).isEqualTo(2);
        assertThat(notMarked.rows()).extracting(row -> row.image().id()).containsExactly("a");
        assertThat(store.image("c")).contains(new ImageEntry("c", "images/c.png", "normal", "test"));
        assertThat(store.image("z")).isEmpty();
    }

    @Test
    void migrationIsRecordedOnceWithItsChecksum() {
        List<String> rows = store.transaction(connection -> {
            List<String> found = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT version, description, checksum FROM schema_migrations ORDER BY version");
                 ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    found.add(result.getInt(1) + " " + result.getString(2) + " " + result.getString(3));
                }
            }
            return found;
        });
        assertThat(rows).containsExactlyElementsOf(Migrations.ALL.stream()
                .map(m -> m.version() + " " + m.description() + " " + m.checksum()).toList());
        assertThat(rows.get(0)).isEqualTo("1 initial schema " + Migrations.ALL.get(0).checksum());
        assertThat(Migrations.ALL.get(0).checksum()).hasSize(64);
    }

    @Test
    void aMigrationAppliedFromAnotherFileIsRefused() {
        store.transaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE schema_migrations SET checksum = ? WHERE version = 1")) {
                update.setString(1, "0".repeat(64));
                update.executeUpdate();
            }
            return null;
        });
        assertThatThrownBy(() -> Migrations.apply(store.database()))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("migration V1 was applied from a different file (checksum 000000000000...");
    }

    @Test
    void aSchemaNewerThanThisProgramIsRefused() {
        store.transaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO schema_migrations "
                    + "(version, description, checksum, applied_at) VALUES (" + (Migrations.latest() + 1) + ", 'future', 'x', CURRENT_TIMESTAMP)")) {
                insert.executeUpdate();
            }
            return null;
        });
        assertThatThrownBy(() -> Migrations.apply(store.database()))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("schema version " + (Migrations.latest() + 1) + " is newer than this PneuKnow's (" + Migrations.latest() + ")");
    }

    @Test
    void everyChangeKeepsThePreviousVersionWithWhoWhenAndWhat() {
        StoredRegion created = store.createRegion("a", new RegionDraft("lesion", "opacity", Geometry.box(10, 20, 30, 40)), ann);
        assertThat(created.version()).isEqualTo(1);
        assertThat(created.author()).isEqualTo("ann");
        assertThat(created.review()).isEqualTo(ReviewState.PENDING);

        clock.advance(Duration.ofMinutes(5));
        RegionDraft polygon = new RegionDraft("lesion", "consolidation", Geometry.polygon(List.of(
                new Geometry.Point(12.5, 20), new Geometry.Point(40, 22), new Geometry.Point(30, 61.25))));
        Change<StoredRegion> edited = store.editRegion(created.id(), 1, polygon, bob);
        assertThat(edited).isInstanceOf(Change.Saved.class);
        StoredRegion now = ((Change.Saved<StoredRegion>) edited).value();
        assertThat(now.version()).isEqualTo(2);
        assertThat(now.author()).as("the creator stays the author").isEqualTo("ann");
        // bounding box of (12.5..40, 20..61.25): x 12, y 20, w 28, h 42
        assertThat(now.draft().geometry().box()).isEqualTo(new Geometry.Box(12, 20, 28, 42));

        clock.advance(Duration.ofMinutes(1));
        StoredRegion deleted = ((Change.Saved<StoredRegion>) store.deleteRegion(created.id(), 2, ann)).value();
        assertThat(deleted.deleted()).isTrue();
        assertThat(store.regions("a")).isEmpty();
        assertThat(store.region(created.id())).contains(deleted);

        List<RegionVersion> history = store.history(created.id());
        assertThat(history).extracting(RegionVersion::version, RegionVersion::change, RegionVersion::changedBy,
                        RegionVersion::changedAt, RegionVersion::deleted)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, "create", "ann", START, false),
                        org.assertj.core.groups.Tuple.tuple(2, "edit", "bob", START.plusSeconds(300), false),
                        org.assertj.core.groups.Tuple.tuple(3, "delete", "ann", START.plusSeconds(360), true));
        assertThat(history.get(0).draft()).isEqualTo(new RegionDraft("lesion", "opacity", Geometry.box(10, 20, 30, 40)));
        assertThat(history.get(1).draft()).isEqualTo(polygon);
        assertThat(history.get(1).draft().geometry().polygon()).containsExactly(
                new Geometry.Point(12.5, 20), new Geometry.Point(40, 22), new Geometry.Point(30, 61.25));
    }

    @Test
    void aSecondEditorOfTheSameVersionGetsAConflictWithBothVersions() {
        StoredRegion created = store.createRegion("a", new RegionDraft("lesion", "opacity", Geometry.box(10, 20, 30, 40)), ann);
        RegionDraft annMoves = new RegionDraft("lesion", "opacity", Geometry.box(15, 20, 30, 40));
        RegionDraft bobRelabels = new RegionDraft("lesion", "nodule", Geometry.box(10, 20, 30, 40));

        assertThat(store.editRegion(created.id(), 1, annMoves, ann)).isInstanceOf(Change.Saved.class);
        Change<StoredRegion> second = store.editRegion(created.id(), 1, bobRelabels, bob);

        assertThat(second).isInstanceOf(Change.Conflict.class);
        Change.Conflict<StoredRegion> conflict = (Change.Conflict<StoredRegion>) second;
        assertThat(conflict.theirs().version()).isEqualTo(2);
        assertThat(conflict.theirs().draft()).isEqualTo(annMoves);
        assertThat(conflict.yours().version()).as("the version bob started from").isEqualTo(1);
        assertThat(conflict.yours().draft()).isEqualTo(bobRelabels);
        assertThat(store.region(created.id()).orElseThrow().draft()).as("nothing of bob's written").isEqualTo(annMoves);
        assertThat(store.history(created.id())).hasSize(2);

        // bob merges both changes and saves against the version he was shown
        RegionDraft merged = new RegionDraft("lesion", "nodule", Geometry.box(15, 20, 30, 40));
        Change<StoredRegion> again = store.editRegion(created.id(), conflict.theirs().version(), merged, bob);
        assertThat(((Change.Saved<StoredRegion>) again).value().version()).isEqualTo(3);
        assertThat(store.history(created.id())).extracting(v -> v.draft().label()).containsExactly("opacity", "opacity", "nodule");
    }

    @Test
    void editorsRacingOnOneVersionSaveExactlyOnce() throws Exception {
        StoredRegion created = store.createRegion("b", new RegionDraft("lung", "left", Geometry.box(1, 1, 5, 5)), ann);
        int editors = 6;
        ExecutorService pool = Executors.newFixedThreadPool(editors);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Change<StoredRegion>>> results = new ArrayList<>();
        try {
            for (int i = 0; i < editors; i++) {
                int width = 10 + i;
                Person editor = i % 2 == 0 ? ann : bob;
                Callable<Change<StoredRegion>> edit = () -> {
                    start.await();
                    return store.editRegion(created.id(), 1, new RegionDraft("lung", "left", Geometry.box(1, 1, width, 5)), editor);
                };
                results.add(pool.submit(edit));
            }
            start.countDown();
            List<Change<StoredRegion>> outcomes = new ArrayList<>();
            for (Future<Change<StoredRegion>> result : results) {
                outcomes.add(result.get());
            }
            List<Change<StoredRegion>> saved = outcomes.stream().filter(c -> c instanceof Change.Saved).toList();
            assertThat(saved).hasSize(1);
            StoredRegion winner = ((Change.Saved<StoredRegion>) saved.get(0)).value();
            for (Change<StoredRegion> outcome : outcomes) {
                if (outcome instanceof Change.Conflict<StoredRegion> conflict) {
                    assertThat(conflict.theirs()).isEqualTo(winner);
                    assertThat(conflict.yours().version()).isEqualTo(1);
                }
            }
            assertThat(store.region(created.id())).contains(winner);
            assertThat(store.history(created.id())).extracting(RegionVersion::version).containsExactly(1, 2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aReviewerAcceptsAVersionAndAnEditSendsItBackToPending() {
        StoredRegion created = store.createRegion("a", new RegionDraft("lesion", "opacity", Geometry.box(10, 20, 30, 40)), ann);
        assertThatThrownBy(() -> store.review(created.id(), 1, ReviewState.ACCEPTED, bob))
                .isInstanceOf(BadInputException.class).hasMessageContaining("bob is an annotator");

        StoredRegion accepted = ((Change.Saved<StoredRegion>) store.review(created.id(), 1, ReviewState.ACCEPTED, rita)).value();
        assertThat(accepted.review()).isEqualTo(ReviewState.ACCEPTED);
        assertThat(accepted.reviewer()).isEqualTo("rita");
        assertThat(accepted.version()).isEqualTo(2);

        // a review of a version that has moved on is a conflict too
        assertThat(store.review(created.id(), 1, ReviewState.REJECTED, rita)).isInstanceOf(Change.Conflict.class);

        StoredRegion edited = ((Change.Saved<StoredRegion>) store.editRegion(created.id(), 2,
                new RegionDraft("lesion", "opacity", Geometry.box(11, 20, 30, 40)), ann)).value();
        assertThat(edited.review()).isEqualTo(ReviewState.PENDING);
        assertThat(edited.reviewer()).isNull();
        assertThat(store.history(created.id())).extracting(RegionVersion::change, RegionVersion::review).containsExactly(
                org.assertj.core.groups.Tuple.tuple("create", ReviewState.PENDING),
                org.assertj.core.groups.Tuple.tuple("review", ReviewState.ACCEPTED),
                org.assertj.core.groups.Tuple.tuple("edit", ReviewState.PENDING));
    }

    @Test
    void noFindingMarksAreVersionedAndConflict() {
        assertThat(store.noFinding("c")).isEqualTo(new NoFindingMark("c", false, 0, null, null));
        Change<NoFindingMark> marked = store.markNoFinding("c", 0, true, ann);
        assertThat(marked).isEqualTo(new Change.Saved<>(new NoFindingMark("c", true, 1, "ann", START)));
        Change<NoFindingMark> stale = store.markNoFinding("c", 0, false, bob);
        assertThat(stale).isEqualTo(new Change.Conflict<>(new NoFindingMark("c", true, 1, "ann", START),
                new NoFindingMark("c", false, 1, "bob", START)));
        assertThat(store.markNoFinding("c", 1, false, bob)).isInstanceOf(Change.Saved.class);
        assertThat(store.noFinding("c").marked()).isFalse();
        assertThat(store.noFinding("c").version()).isEqualTo(2);
    }

    @Test
    void aRegionOnAnUnknownImageIsRefusedWithTheRemedy() {
        assertThatThrownBy(() -> store.createRegion("zz", new RegionDraft("lesion", "x", Geometry.box(0, 0, 1, 1)), ann))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("image 'zz' is not in the database; import its data set first");
        assertThat(store.liveRegions()).isEmpty();
    }

    @Test
    void credentialsAreStoredAsHashesAndCheckedByKey() {
        String key = Credentials.newKey();
        Person admin = store.addPerson("ada", Role.ADMIN, Credentials.hash(key));
        assertThat(admin.canSignIn()).isTrue();
        assertThat(store.authenticate("ada", key)).contains(admin);
        assertThat(store.authenticate("ada", key + "x")).isEmpty();
        assertThat(store.authenticate("ann", "")).as("no credential: cannot sign in").isEmpty();
        String stored = store.transaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT credential_hash FROM people WHERE name = 'ada'");
                 ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        });
        assertThat(stored).isEqualTo(Credentials.hash(key)).startsWith("sha256:").doesNotContain(key).hasSize(7 + 64);
        assertThatThrownBy(() -> store.addPerson("ada", Role.ANNOTATOR, null))
                .isInstanceOf(BadInputException.class).hasMessageContaining("a person named 'ada' exists already");
    }

    @Test
    void aBackupRestoresIntoAnEmptyDatabaseWithEveryVersion() throws Exception {
        StoredRegion first = store.createRegion("a", new RegionDraft("lesion", "opacity", Geometry.box(10, 20, 30, 40)), ann);
        store.editRegion(first.id(), 1, new RegionDraft("lesion", "opacity", Geometry.box(12, 20, 30, 40)), bob);
        StoredRegion masked = store.createRegion("b", new RegionDraft("lesion", "opacity",
                Geometry.mask("masks/b.png", null)), ann);
        store.deleteRegion(masked.id(), 1, ann);
        store.createRegion("b", new RegionDraft("lung", "right", Geometry.polygon(List.of(
                new Geometry.Point(0, 0), new Geometry.Point(9, 0), new Geometry.Point(0, 9)))), bob);
        store.markNoFinding("c", 0, true, rita);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Backup.write(store, bytes);

        AnnotationStore restored = new AnnotationStore(track(freshDatabase()), clock);
        Backup.restore(restored, new ByteArrayInputStream(bytes.toByteArray()), "backup.json");

        assertThat(restored.people()).isEqualTo(store.people());
        assertThat(restored.images()).isEqualTo(store.images());
        assertThat(restored.liveRegions()).isEqualTo(store.liveRegions()).hasSize(2);
        for (long id = first.id(); id <= masked.id() + 1; id++) {
            assertThat(restored.history(id)).isEqualTo(store.history(id));
        }
        assertThat(restored.region(masked.id())).isEqualTo(store.region(masked.id()));
        assertThat(restored.noFinding("c")).isEqualTo(store.noFinding("c"));

        // new ids continue after the restored ones
        StoredRegion next = restored.createRegion("c", new RegionDraft("lung", "left", Geometry.box(0, 0, 2, 2)), ann);
        assertThat(next.id()).isGreaterThan(masked.id() + 1);
        assertThat(restored.addPerson("zed", Role.ANNOTATOR, null).id()).isGreaterThan(rita.id());

        // a second restore into the now non-empty database is refused, and changes nothing
        assertThatThrownBy(() -> Backup.restore(restored, new ByteArrayInputStream(bytes.toByteArray()), "backup.json"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("table people is not empty");
        assertThat(restored.liveRegions()).hasSize(3);

        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("\"format\" : \"pneuknow-annotations-backup\"", "\"schemaVersion\" : " + Migrations.latest());
    }

    @Test
    void aDatabaseAtVersionOneGainsThePredictionsJobsModelsAndHeatShares() {
        // the database as the first PneuKnow with a studio left it: V1 only
        store.transaction(connection -> {
            try (Statement statement = connection.createStatement()) {
                for (String sql : List.of("DROP TABLE models", "DROP TABLE jobs", "DROP TABLE predictions",
                        "DELETE FROM schema_migrations WHERE version >= 2")) {
                    statement.executeUpdate(sql);
                }
            }
            return null;
        });
        Migrations.apply(store.database());
        assertThat(store.putPredictions("m1", List.of(new StoredPrediction("a", "normal", 0.5, 0.125, 0.25)))).isEqualTo(1);
        assertThat(store.predictionProgress("m1")).isEqualTo(new AnnotationStore.PredictionProgress(1, 3));
        assertThat(store.prediction("a", "m1")).as("V4's heat shares").contains(new StoredPrediction("a", "normal", 0.5, 0.125, 0.25));
        TrainingStore training = new TrainingStore(store, clock);
        Job job = training.addJob("hkd", "{}", store.addPerson("ada", Role.ADMIN, null));
        assertThat(training.jobs()).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void predictionsAreStoredOncePerModelAndImageAndFilterTheList() {
        // a, b: pneumonia; c: normal. Model m1 says a: pneumonia (right), c: pneumonia (wrong), later b: normal (wrong)
        assertThat(store.imagesWithoutPrediction("m1")).extracting(ImageEntry::id).containsExactly("a", "b", "c");
        assertThat(store.putPredictions("m1", List.of(new StoredPrediction("a", "pneumonia", 0.875),
                new StoredPrediction("c", "pneumonia", 0.625)))).isEqualTo(2);
        assertThat(store.imagesWithoutPrediction("m1")).extracting(ImageEntry::id).containsExactly("b");
        assertThat(store.predictionProgress("m1")).isEqualTo(new AnnotationStore.PredictionProgress(2, 3));
        // a second prediction of a is skipped: the first one stays; b is added
        assertThat(store.putPredictions("m1", List.of(new StoredPrediction("a", "normal", 0.5),
                new StoredPrediction("b", "normal", 0.75)))).isEqualTo(1);
        assertThat(store.prediction("a", "m1")).contains(new StoredPrediction("a", "pneumonia", 0.875));
        assertThat(store.imagesWithoutPrediction("m1")).isEmpty();
        assertThat(store.predictionProgress("m1")).isEqualTo(new AnnotationStore.PredictionProgress(3, 3));
        // another model has its own predictions: none yet
        assertThat(store.putPredictions("m2", List.of(new StoredPrediction("b", "pneumonia", 1.0)))).isEqualTo(1);
        assertThat(store.imagesWithoutPrediction("m2")).extracting(ImageEntry::id).containsExactly("a", "c");
        assertThat(store.prediction("a", "m2")).isEmpty();

        AnnotationStore.ImagePage all = store.images(new AnnotationStore.ImageQuery(null, null, null, null, "m1", null, null, 0, 5));
        assertThat(all.rows()).extracting(AnnotationStore.ImageRow::prediction).containsExactly(
                new StoredPrediction("a", "pneumonia", 0.875), new StoredPrediction("b", "normal", 0.75),
                new StoredPrediction("c", "pneumonia", 0.625));
        assertThat(ids(new AnnotationStore.ImageQuery(null, null, null, null, "m1", "pneumonia", null, 0, 5))).containsExactly("a", "c");
        assertThat(ids(new AnnotationStore.ImageQuery(null, null, null, null, "m1", null, true, 0, 5))).containsExactly("a");
        AnnotationStore.ImagePage wrong = store.images(new AnnotationStore.ImageQuery(null, null, null, null, "m1", null, false, 1, 5));
        assertThat(wrong.total()).isEqualTo(2);
        assertThat(wrong.rows()).extracting(row -> row.image().id()).containsExactly("c");
        assertThat(ids(new AnnotationStore.ImageQuery("pneumonia", null, null, null, "m1", "normal", false, 0, 5))).containsExactly("b");
        assertThat(ids(new AnnotationStore.ImageQuery(null, null, null, null, "m1", "normal", true, 0, 5))).isEmpty();
        // m2 predicted only b, rightly: a and c match neither right nor wrong
        AnnotationStore.ImagePage m2 = store.images(new AnnotationStore.ImageQuery(null, null, null, null, "m2", null, null, 0, 5));
        assertThat(m2.rows()).extracting(AnnotationStore.ImageRow::prediction)
                .containsExactly(null, new StoredPrediction("b", "pneumonia", 1.0), null);
        assertThat(ids(new AnnotationStore.ImageQuery(null, null, null, null, "m2", null, true, 0, 5))).containsExactly("b");
        assertThat(ids(new AnnotationStore.ImageQuery(null, null, null, null, "m2", null, false, 0, 5))).isEmpty();
        // without a model, rows carry none, and the prediction filters are refused
        assertThat(store.images(new AnnotationStore.ImageQuery(null, null, null, null, 0, 5)).rows())
                .extracting(AnnotationStore.ImageRow::prediction).containsOnlyNulls();
        assertThatThrownBy(() -> new AnnotationStore.ImageQuery(null, null, null, null, null, "normal", null, 0, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the predicted, correct and disagree filters need a model id");
    }

    @Test
    void disagreementsAreAWrongClassOrHeatBelowTheRegionsAreaShare() {
        // a, b: pneumonia; c: normal. Model m1: a right, its heat share inside exactly its regions' area share (not
        // below: agrees); b right, heat 0.1 inside regions covering 0.3 (below: disagrees); c wrong class, no regions
        assertThat(store.putPredictions("m1", List.of(new StoredPrediction("a", "pneumonia", 0.9, 0.25, 0.25),
                new StoredPrediction("b", "pneumonia", 0.8, 0.1, 0.3),
                new StoredPrediction("c", "pneumonia", 0.7)))).isEqualTo(3);
        assertThat(store.prediction("b", "m1")).contains(new StoredPrediction("b", "pneumonia", 0.8, 0.1, 0.3));
        assertThat(store.prediction("c", "m1")).contains(new StoredPrediction("c", "pneumonia", 0.7, null, null));
        assertThat(ids(query("m1", true))).containsExactly("b", "c");
        assertThat(ids(query("m1", false))).containsExactly("a");
        assertThat(store.disagreements("m1")).isEqualTo(2);
        assertThat(store.images(query("m1", true)).total()).isEqualTo(2);
        assertThat(store.images(query("m1", null)).rows()).extracting(AnnotationStore.ImageRow::prediction)
                .extracting(p -> p.disagreesWith("pneumonia")).containsExactly(false, true, false);
        // combined with another filter: the disagreements among the pneumonia images
        assertThat(ids(new AnnotationStore.ImageQuery("pneumonia", null, null, null, "m1", null, null, true, 0, 5)))
                .containsExactly("b");

        // a's regions changed: its heat now lies less on them than chance
        assertThat(store.updateHeatShares("a", "m1", 0.2, 0.25)).isTrue();
        assertThat(ids(query("m1", true))).containsExactly("a", "b", "c");
        assertThat(store.disagreements("m1")).isEqualTo(3);
        // b's regions were deleted: no shares, so only its class counts (right)
        assertThat(store.updateHeatShares("b", "m1", null, null)).isTrue();
        assertThat(ids(query("m1", false))).containsExactly("b");
        assertThat(store.updateHeatShares("a", "m2", 0.5, 0.5)).as("m2 has no prediction of a").isFalse();

        // another model with one prediction: the images it has not predicted match neither filter
        store.putPredictions("m2", List.of(new StoredPrediction("c", "normal", 0.6, 0.9, 0.5)));
        assertThat(ids(query("m2", true))).isEmpty();
        assertThat(ids(query("m2", false))).containsExactly("c");
        assertThat(store.disagreements("m2")).isZero();

        assertThatThrownBy(() -> new StoredPrediction("a", "normal", 0.5, 1.5, 0.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("heat share 1.5 of image a is outside [0, 1]");
        assertThatThrownBy(() -> new StoredPrediction("a", "normal", 0.5, 0.5, 0.0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("region area share 0.0 of image a is outside (0, 1]");
        assertThatThrownBy(() -> store.updateHeatShares("a", "m1", 0.5, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AnnotationStore.ImageQuery(null, null, null, null, null, null, null, true, 0, 5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static AnnotationStore.ImageQuery query(String modelId, Boolean disagree) {
        return new AnnotationStore.ImageQuery(null, null, null, null, modelId, null, null, disagree, 0, 5);
    }

    private List<String> ids(AnnotationStore.ImageQuery query) {
        return store.images(query).rows().stream().map(row -> row.image().id()).toList();
    }

    // ---------------------------------------------------------------- training jobs and the model registry

    static RegisteredModel.Draft modelDraft(Long jobId, String modelId, String snapshot) {
        return new RegisteredModel.Draft(jobId, "/jobs/" + jobId + "/model", modelId, modelId.repeat(4), "hkd", "tiny_cnn",
                "{\"balancedAccuracy\":0.75}", "{\"id\":\"" + modelId + "\"}", "fp-1", snapshot);
    }

    @Test
    void aJobMovesFromQueuedToRunningToDoneAndRegistersItsModelInTheSameStep() {
        TrainingStore training = new TrainingStore(store, clock);
        Person admin = store.addPerson("ada", Role.ADMIN, null);
        Job queued = training.addJob("hkd", "{\"epochs\":1}", admin);
        assertThat(queued).isEqualTo(new Job(queued.id(), "hkd", "{\"epochs\":1}", null, JobState.QUEUED, "ada", START,
                null, null, null, 0.0, null));
        clock.advance(Duration.ofSeconds(10));
        String snapshot = "ab".repeat(32);
        assertThat(training.markRunning(queued.id(), "/jobs/1", snapshot)).isTrue();
        assertThat(training.progress(queued.id(), 0.25, "epoch 1 of 4")).isTrue();
        assertThat(training.progress(queued.id(), 1.5, "beyond")).as("kept within 0..1").isTrue();
        assertThat(training.job(queued.id()).orElseThrow().progress()).isEqualTo(1.0);
        training.progress(queued.id(), 0.5, "epoch 2 of 4");
        assertThat(training.jobs(JobState.RUNNING)).extracting(Job::id).containsExactly(queued.id());
        clock.advance(Duration.ofSeconds(50));
        RegisteredModel model = training.finish(queued.id(), modelDraft(queued.id(), "m1", snapshot)).orElseThrow();

        Job done = training.job(queued.id()).orElseThrow();
        assertThat(done).isEqualTo(new Job(queued.id(), "hkd", "{\"epochs\":1}", snapshot, JobState.DONE, "ada", START,
                START.plusSeconds(10), START.plusSeconds(60), "/jobs/1", 1.0, null));
        assertThat(model).isEqualTo(new RegisteredModel(model.id(), queued.id(), "/jobs/" + queued.id() + "/model", "m1",
                "m1m1m1m1", "hkd", "tiny_cnn", "{\"balancedAccuracy\":0.75}", "{\"id\":\"m1\"}", "fp-1", snapshot,
                START.plusSeconds(60), false));
        assertThat(training.models()).containsExactly(model);
        // an ended job changes no more
        assertThat(training.progress(queued.id(), 0.1, "late")).isFalse();
        assertThat(training.cancel(queued.id(), "too late")).isFalse();
        assertThat(training.fail(queued.id(), "too late")).isFalse();
        assertThat(training.job(queued.id())).contains(done);
    }

    @Test
    void aCancelledJobIsNeitherStartedNorFinishedAndRegistersNothing() {
        TrainingStore training = new TrainingStore(store, clock);
        Job first = training.addJob("baseline", "{}", ann);
        Job second = training.addJob("hkd", "{}", ann);
        assertThat(training.jobs()).extracting(Job::id).containsExactly(second.id(), first.id());
        assertThat(training.jobs(JobState.QUEUED)).extracting(Job::id).containsExactly(first.id(), second.id());

        assertThat(training.cancel(second.id(), "cancelled by ann")).isTrue();
        assertThat(training.markRunning(second.id(), "/jobs/2", null)).as("a cancelled job does not start").isFalse();

        assertThat(training.markRunning(first.id(), "/jobs/1", "cd".repeat(32))).isTrue();
        assertThat(training.markRunning(first.id(), "/jobs/1", "cd".repeat(32))).as("resuming a running job").isTrue();
        assertThat(training.cancel(first.id(), "cancelled by ann")).isTrue();
        assertThat(training.finish(first.id(), modelDraft(first.id(), "m1", null))).isEmpty();
        assertThat(training.models()).isEmpty();
        Job cancelled = training.job(first.id()).orElseThrow();
        assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
        assertThat(cancelled.message()).isEqualTo("cancelled by ann");
        assertThat(cancelled.finishedAt()).isEqualTo(START);

        Job third = training.addJob("hkd", "{}", ann);
        training.markRunning(third.id(), "/jobs/3", null);
        assertThat(training.fail(third.id(), "train exited with 1: bad input")).isTrue();
        assertThat(training.job(third.id()).orElseThrow()).extracting(Job::state, Job::message)
                .containsExactly(JobState.FAILED, "train exited with 1: bad input");
        assertThatThrownBy(() -> training.addJob(" ", "{}", ann)).isInstanceOf(BadInputException.class)
                .hasMessage("job kind ' ' must be a training method's name or study, of 1 to 32 characters");
        assertThat(training.job(9999)).isEmpty();
    }

    @Test
    void atMostOneModelIsPromotedAndPromotingAnotherMovesTheMark() {
        TrainingStore training = new TrainingStore(store, clock);
        RegisteredModel a = training.register(modelDraft(null, "aaa", null));
        RegisteredModel b = training.register(modelDraft(null, "bbb", null));
        assertThat(a.jobId()).isNull();
        assertThat(training.promoted()).isEmpty();

        assertThat(training.promote(a.id()).orElseThrow().promoted()).isTrue();
        assertThat(training.promoted()).map(RegisteredModel::modelId).contains("aaa");
        assertThat(training.promote(b.id()).orElseThrow().promoted()).isTrue();
        assertThat(training.models()).extracting(RegisteredModel::modelId, RegisteredModel::promoted)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("bbb", true), org.assertj.core.groups.Tuple.tuple("aaa", false));
        assertThat(training.promote(b.id())).as("promoting the promoted one again").map(RegisteredModel::promoted).contains(true);
        assertThat(training.promote(12345)).isEmpty();
        assertThat(training.promoted()).map(RegisteredModel::id).contains(b.id());

        // the schema itself refuses a second promoted row
        assertThatThrownBy(() -> store.transaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE models SET promoted = TRUE, promoted_key = 1 WHERE id = ?")) {
                update.setLong(1, a.id());
                return update.executeUpdate();
            }
        })).isInstanceOf(IllegalStateException.class);
        assertThat(training.promoted()).map(RegisteredModel::id).contains(b.id());
    }

    @Test
    void aBackupCarriesTheJobsAndTheRegistry() throws Exception {
        TrainingStore training = new TrainingStore(store, clock);
        Job job = training.addJob("hkd", "{\"epochs\":2}", ann);
        training.markRunning(job.id(), "/jobs/1", "ef".repeat(32));
        training.progress(job.id(), 0.5, "epoch 1 of 2");
        RegisteredModel model = training.finish(job.id(), modelDraft(job.id(), "m1", "ef".repeat(32))).orElseThrow();
        training.promote(model.id());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Backup.write(store, bytes);
        AnnotationStore restored = new AnnotationStore(track(freshDatabase()), clock);
        Backup.restore(restored, new ByteArrayInputStream(bytes.toByteArray()), "backup.json");
        TrainingStore back = new TrainingStore(restored, clock);
        assertThat(back.jobs()).isEqualTo(training.jobs());
        assertThat(back.models()).isEqualTo(training.models());
        assertThat(back.addJob("baseline", "{}", ann).id()).isGreaterThan(job.id());
    }
}
