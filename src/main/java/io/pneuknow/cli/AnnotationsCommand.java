package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Backup;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.exchange.AnnotationExport;
import io.pneuknow.annotate.exchange.AnnotationImport;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.DataSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pneuknow annotations}: the annotation database's import, export, backup, restore and people. */
@Command(name = "annotations", description = {"The annotation database: regions and the people who draw and review them.",
        "--db is an H2 file (the default, one file, nothing to install; relative to --data where the command has it) "
                + "or a jdbc:postgresql:// URL for a team. Training reads it with --regions-db."},
        subcommands = {AnnotationsCommand.Import.class, AnnotationsCommand.Export.class, AnnotationsCommand.BackupCommand.class,
                AnnotationsCommand.Restore.class, AnnotationsCommand.AddPerson.class})
final class AnnotationsCommand implements Callable<Integer> {
    /** The default H2 file in the data folder. */
    static final String DEFAULT_DB = "annotations.mv.db";

    @Spec
    CommandSpec spec;

    /** {@code pneuknow annotations} alone: a usage error that names the subcommands. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "choose a command: " + String.join(", ", spec.subcommands().keySet()));
    }

    /** Whether {@code fileOrUrl} names an H2 file that does not exist yet (so a failed command removes what it created). */
    static Path newH2File(String fileOrUrl, Path base) {
        if (fileOrUrl.startsWith("jdbc:")) {
            return null;
        }
        String name = fileOrUrl.endsWith(AnnotationDatabase.H2_SUFFIX) ? fileOrUrl : fileOrUrl + AnnotationDatabase.H2_SUFFIX;
        Path file = (base == null ? Path.of(name) : base.resolve(name)).toAbsolutePath().normalize();
        return Files.exists(file) ? null : file;
    }

    /** Removes an H2 file this command created, with H2's trace file beside it, after a failure. */
    static void removeCreated(Path created) {
        if (created == null) {
            return;
        }
        try {
            Files.deleteIfExists(created);
            String name = created.getFileName().toString();
            Files.deleteIfExists(created.resolveSibling(name.substring(0, name.length() - AnnotationDatabase.H2_SUFFIX.length())
                    + ".trace.db"));
        } catch (IOException e) {
            // the failure being reported matters more; an empty database file is harmless
        }
    }

    /** {@code pneuknow annotations import}. */
    @Command(name = "import", description = {"Put a data set's images and regions into the database, in one transaction.",
            "Reads the data set as training does (every problem reported at once): give its region files with "
                    + "--regions, --coco or --masks. Regions identical to one already there are skipped, so importing "
                    + "the same file twice adds nothing. Stored per image: id, file, class and the --split-column part; "
                    + "never the patient id."})
    static final class Import implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        DataOptions data = new DataOptions();
        @Option(names = "--db", paramLabel = "FILE|URL", defaultValue = DEFAULT_DB, description = "The database: an H2 file relative to --data "
                + "(created when absent) or a jdbc: URL (default ${DEFAULT-VALUE}).")
        String db;
        @Option(names = "--author", paramLabel = "NAME", defaultValue = "import", description = "Name recorded as the regions' author; "
                + "added as an annotator without a key when absent (default ${DEFAULT-VALUE}).")
        String author;
        @Option(names = "--split-column", paramLabel = "COLUMN", description = "Labels column whose value is stored as each image's part (train, val, test).")
        String splitColumn;

        @Override
        public Integer call() {
            DataSpec dataSpec = data.toSpec(null);
            if (splitColumn != null) {
                dataSpec = dataSpec.withSplitColumn(splitColumn);
            }
            Path created = newH2File(db, dataSpec.root());
            try (AnnotationDatabase database = AnnotationDatabase.open(db, dataSpec.root(), true)) {
                AnnotationStore store = new AnnotationStore(database);
                Person person = store.personOrAdd(author, Role.ANNOTATOR);
                AnnotationStore.ImportCount count = AnnotationImport.run(dataSpec, store, person);
                PrintWriter out = spec.commandLine().getOut();
                out.printf("imported %d images and %d regions (%d already there) into %s, author %s%n", count.images(),
                        count.regionsAdded(), count.regionsAlreadyThere(), database.shown(), person.name());
                out.flush();
                created = null;
            } finally {
                removeCreated(created);
            }
            return 0;
        }
    }

    /** {@code pneuknow annotations export}. */
    @Command(name = "export", description = {"Write the database's regions in a format training reads (what --regions-db reads: "
            + "deleted regions and those a reviewer rejected are left out).",
            "csv: image_id,x,y,w,h,label,region_type,mask_file (a polygon as its bounding box); coco: COCO JSON (polygons "
                    + "also as segmentation); masks: a new folder of <image_id>[_<label>].png lesion masks at each image's size."})
    static final class Export implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--data", paramLabel = "DIR", required = true, description = "Data set directory (mask files and images are relative to it).")
        Path data;
        @Option(names = "--db", paramLabel = "FILE|URL", defaultValue = DEFAULT_DB, description = "The database: an H2 file relative to --data or a jdbc: URL "
                + "(default ${DEFAULT-VALUE}).")
        String db;
        @Option(names = "--format", paramLabel = "csv|coco|masks", required = true, description = "csv, coco or masks.")
        String format;
        @Option(names = "--out", paramLabel = "PATH", required = true, description = "File to write (csv, coco; replaced atomically), or a new folder (masks).")
        Path out;

        @Override
        public Integer call() throws IOException {
            Path root = data.toAbsolutePath().normalize();
            if (!Files.isDirectory(root)) {
                throw new BadInputException(root + ": data directory not found; check the path given to --data");
            }
            try (AnnotationDatabase database = AnnotationDatabase.open(db, root, false)) {
                AnnotationStore store = new AnnotationStore(database);
                AnnotationExport.Count count = switch (format) {
                    case "csv" -> AnnotationExport.csv(store, root, out);
                    case "coco" -> AnnotationExport.coco(store, root, out);
                    case "masks" -> AnnotationExport.masks(store, root, out);
                    default -> throw new BadInputException("--format '" + format + "' is not one of csv, coco, masks; give one of them");
                };
                PrintWriter printed = spec.commandLine().getOut();
                printed.printf("wrote %d regions to %s%s%n", count.written(), out,
                        count.skipped() == 0 ? "" : " (" + count.skipped() + " not written: " + count.skippedWhy() + ")");
                printed.flush();
            }
            return 0;
        }
    }

    /** {@code pneuknow annotations backup}. */
    @Command(name = "backup", description = {"Write every table (people, images, regions with all their versions, no-finding "
            + "marks) from one consistent snapshot to a JSON file, while others keep working.",
            "The same format for H2 and PostgreSQL: a backup restores into either. The file is written atomically, "
                    + "readable by its owner only (it holds the people's key hashes)."})
    static final class BackupCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--db", paramLabel = "FILE|URL", required = true, description = "The database: an H2 file or a jdbc: URL.")
        String db;
        @Option(names = "--out", paramLabel = "PATH", required = true, description = "Backup file to write (replaced atomically).")
        Path out;

        @Override
        public Integer call() throws IOException {
            try (AnnotationDatabase database = AnnotationDatabase.open(db, null, false)) {
                AnnotationStore store = new AnnotationStore(database);
                AtomicFiles.write(out, stream -> Backup.write(store, stream));
                PrintWriter printed = spec.commandLine().getOut();
                printed.printf("backed up %s to %s%n", database.shown(), out);
                printed.flush();
            }
            return 0;
        }
    }

    /** {@code pneuknow annotations restore}. */
    @Command(name = "restore", description = {"Restore a backup into a new database (a new H2 file, or an empty PostgreSQL "
            + "database), in one transaction: all of it or nothing.",
            "A database that already holds people, images or regions is refused, as is a backup of another schema version."})
    static final class Restore implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--db", paramLabel = "FILE|URL", required = true, description = "The database to restore into: a new H2 file or a jdbc: URL.")
        String db;
        @Option(names = "--from", paramLabel = "FILE", required = true, description = "Backup file written by 'pneuknow annotations backup'.")
        Path from;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(from)) {
                throw new BadInputException(from + ": backup file not found; check the path given to --from");
            }
            Path created = newH2File(db, null);
            try (AnnotationDatabase database = AnnotationDatabase.open(db, null, true);
                 InputStream in = Files.newInputStream(from)) {
                Backup.restore(new AnnotationStore(database), in, from.toString());
                PrintWriter printed = spec.commandLine().getOut();
                printed.printf("restored %s into %s%n", from, database.shown());
                printed.flush();
                created = null;
            } finally {
                removeCreated(created);
            }
            return 0;
        }
    }

    /** {@code pneuknow annotations add-person}. */
    @Command(name = "add-person", description = {"Add a person (annotator, reviewer or admin) and print their key once.",
            "Only the key's SHA-256 is stored; a lost key cannot be shown again."})
    static final class AddPerson implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--db", paramLabel = "FILE|URL", required = true, description = "The database: an H2 file or a jdbc: URL.")
        String db;
        @Option(names = "--name", paramLabel = "NAME", required = true, description = "The person's name, unique in the database.")
        String name;
        @Option(names = "--role", paramLabel = "annotator|reviewer|admin", required = true, description = "annotator, reviewer or admin.")
        String role;

        @Override
        public Integer call() {
            Role parsed = Role.of(role);
            try (AnnotationDatabase database = AnnotationDatabase.open(db, null, false)) {
                String key = Credentials.newKey();
                Person person = new AnnotationStore(database).addPerson(name, parsed, Credentials.hash(key));
                PrintWriter printed = spec.commandLine().getOut();
                printed.printf("added %s (%s) to %s; key (shown once): %s%n", person.name(), person.role().text(),
                        database.shown(), key);
                printed.flush();
            }
            return 0;
        }
    }
}
