package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.exchange.ExchangeFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pneuknow annotations ...} and {@code --regions-db} through {@link Main}, on the hand-made data set. */
class AnnotationsCliTest {
    @TempDir
    Path root;

    private CliHelpTest.Result cli(String... args) {
        return CliHelpTest.cli(args);
    }

    @Test
    void importExportBackupRestoreAndTrainingsDataCheck() throws Exception {
        ExchangeFixtures.write(root);
        String data = root.toString();
        CliHelpTest.Result imported = cli("annotations", "import", "--data", data, "--regions", "regions.csv", "--split-column", "split");
        assertThat(imported.code()).as(imported.err()).isZero();
        assertThat(imported.out().strip()).isEqualTo("imported 3 images and 4 regions (0 already there) into "
                + root.resolve("annotations.mv.db") + ", author import");

        CliHelpTest.Result check = cli("data", "check", "--data", data, "--regions-db", "annotations.mv.db");
        CliHelpTest.Result checkCsv = cli("data", "check", "--data", data, "--regions", "regions.csv");
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(check.out()).isEqualTo(checkCsv.out());

        Path csv = root.resolve("out/regions.csv");
        CliHelpTest.Result exported = cli("annotations", "export", "--data", data, "--format", "csv", "--out", csv.toString());
        assertThat(exported.out().strip()).isEqualTo("wrote 4 regions to " + csv);
        assertThat(Files.readString(csv)).isEqualTo(ExchangeFixtures.REGIONS_CSV);

        Path backup = root.resolve("backup.json");
        CliHelpTest.Result backedUp = cli("annotations", "backup", "--db", root.resolve("annotations.mv.db").toString(),
                "--out", backup.toString());
        assertThat(backedUp.code()).as(backedUp.err()).isZero();
        assertThat(Files.getPosixFilePermissions(backup)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        Path copy = root.resolve("copy.mv.db");
        CliHelpTest.Result restored = cli("annotations", "restore", "--db", copy.toString(), "--from", backup.toString());
        assertThat(restored.code()).as(restored.err()).isZero();
        assertThat(restored.out().strip()).isEqualTo("restored " + backup + " into " + copy);
        Path again = root.resolve("again.csv");
        cli("annotations", "export", "--data", data, "--db", "copy.mv.db", "--format", "csv", "--out", again.toString());
        assertThat(Files.readString(again)).isEqualTo(ExchangeFixtures.REGIONS_CSV);

        CliHelpTest.Result twice = cli("annotations", "restore", "--db", copy.toString(), "--from", backup.toString());
        assertThat(twice.code()).isEqualTo(1);
        assertThat(twice.err().strip()).isEqualTo("error: " + copy + ": table people is not empty; restore into a new database "
                + "(a new file, or an empty PostgreSQL database)");

        Files.writeString(root.resolve("not-a-backup.json"), "[1, 2]");
        Path fresh = root.resolve("fresh.mv.db");
        CliHelpTest.Result bad = cli("annotations", "restore", "--db", fresh.toString(), "--from", root.resolve("not-a-backup.json").toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err().strip()).isEqualTo("error: " + root.resolve("not-a-backup.json") + ": not a PneuKnow annotations "
                + "backup (not a JSON object); give a file written by pneuknow annotations backup");
        assertThat(fresh).as("a failed restore leaves no new database behind").doesNotExist();
    }

    @Test
    void addPersonPrintsAKeyOnceAndStoresOnlyItsHash() throws Exception {
        ExchangeFixtures.write(root);
        cli("annotations", "import", "--data", root.toString());
        String db = root.resolve("annotations.mv.db").toString();
        CliHelpTest.Result added = cli("annotations", "add-person", "--db", db, "--name", "rita", "--role", "Reviewer");
        assertThat(added.code()).as(added.err()).isZero();
        String key = added.out().strip().replaceAll(".*key \\(shown once\\): ", "");
        assertThat(key).matches("[A-Za-z0-9_-]{43}");
        assertThat(added.out()).startsWith("added rita (reviewer) to " + db + ";");
        try (AnnotationDatabase database = AnnotationDatabase.open(db, null, false)) {
            AnnotationStore store = new AnnotationStore(database);
            assertThat(store.authenticate("rita", key)).map(p -> p.role().text()).contains("reviewer");
        }
        assertThat(Files.readAllBytes(Path.of(db))).asString(java.nio.charset.StandardCharsets.ISO_8859_1).doesNotContain(key);

        CliHelpTest.Result role = cli("annotations", "add-person", "--db", db, "--name", "x", "--role", "boss");
        assertThat(role.code()).isEqualTo(1);
        assertThat(role.err().strip()).isEqualTo("error: role 'boss' is not one of annotator, reviewer, admin; give one of them");
    }

    @Test
    void badInputIsOneLine() throws Exception {
        ExchangeFixtures.write(root);
        CliHelpTest.Result missing = cli("annotations", "export", "--data", root.toString(), "--format", "csv", "--out", "x.csv");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo("error: " + root.resolve("annotations.mv.db")
                + ": annotation database not found; check the path, or create it with pneuknow annotations import");
        assertThat(root.resolve("annotations.mv.db")).doesNotExist();

        cli("annotations", "import", "--data", root.toString(), "--regions", "regions.csv");
        CliHelpTest.Result format = cli("annotations", "export", "--data", root.toString(), "--format", "xml", "--out", "x");
        assertThat(format.err().strip()).isEqualTo("error: --format 'xml' is not one of csv, coco, masks; give one of them");

        CliHelpTest.Result password = cli("data", "check", "--data", root.toString(), "--regions-db",
                "jdbc:postgresql://db.example/annotations?user=ann&password=secret");
        assertThat(password.code()).isEqualTo(1);
        assertThat(password.err().strip()).isEqualTo("error: regions database URL holds a password, which would be written into "
                + "config.json and model.json; put it in ~/.pgpass (or the file PGPASSFILE names) and drop password= from the URL");

        Files.writeString(root.resolve("bad.csv"), "image_id,x,y,w,h,label\nzz,1,1,2,2,opacity\n");
        Path fresh = root.resolve("fresh.mv.db");
        CliHelpTest.Result failed = cli("annotations", "import", "--data", root.toString(), "--regions", "bad.csv", "--db", "fresh.mv.db");
        assertThat(failed.code()).isEqualTo(1);
        assertThat(failed.err()).contains("image id 'zz' is not in labels.csv");
        assertThat(fresh).as("a failed import leaves no new database behind").doesNotExist();
    }

    @Test
    void trainingFromTheDatabaseEqualsTrainingFromTheCsvBitForBit() throws Exception {
        String data = root.resolve("syn").toString();
        assertThat(cli("data", "synthetic", "--out", data, "--train", "10", "--val", "4", "--test", "4").code()).isZero();
        assertThat(cli("annotations", "import", "--data", data, "--regions", "regions.csv").code()).isZero();
        String[] common = {"--region-type", "lesion", "--architecture", "tiny_cnn", "--input-size", "64", "--epochs", "1",
                "--teacher-epochs", "1", "--student-epochs", "1", "--method", "hkd", "--threads", "1"};
        Path fromDb = root.resolve("run-db");
        Path fromCsv = root.resolve("run-csv");
        CliHelpTest.Result db = cli(concat(new String[] {"train", "--data", data, "--regions-db", "annotations.mv.db",
                "--out", fromDb.toString()}, common));
        assertThat(db.code()).as(db.err()).isZero();
        CliHelpTest.Result csv = cli(concat(new String[] {"train", "--data", data, "--regions", "regions.csv",
                "--out", fromCsv.toString()}, common));
        assertThat(csv.code()).as(csv.err()).isZero();
        assertThat(Files.readString(fromDb.resolve("config.json")))
                .contains("\"regionsDatabase\" : \"" + root.resolve("syn/annotations.mv.db") + "\"");
        assertThat(Files.readAllBytes(fromDb.resolve("model.params"))).isEqualTo(Files.readAllBytes(fromCsv.resolve("model.params")));
        assertThat(Files.readAllBytes(fromDb.resolve("teacher/model.params")))
                .isEqualTo(Files.readAllBytes(fromCsv.resolve("teacher/model.params")));
    }

    private static String[] concat(String[] first, String[] second) {
        String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
