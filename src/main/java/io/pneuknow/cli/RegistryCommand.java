package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.TrainingStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pneuknow registry}: the model registry of an annotation database (models trained by studio jobs). */
@Command(name = "registry", description = {"The model registry in the annotation database: the models studio jobs "
        + "trained, with their test metrics and annotation snapshot; one of them may be promoted (served).",
        "Start and compare jobs on the studio's Models panel; 'pneuknow serve --registry DB' serves the promoted model."},
        subcommands = {RegistryCommand.ListModels.class, RegistryCommand.Promote.class})
final class RegistryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "choose a subcommand: list, promote");
    }

    /** The folder of the model promoted in this database's registry; refused when none is. */
    static Path promotedFolder(String db) {
        try (AnnotationDatabase database = AnnotationDatabase.open(db, null, false)) {
            RegisteredModel promoted = new TrainingStore(new AnnotationStore(database)).promoted().orElseThrow(() ->
                    new BadInputException(database.shown() + ": no model is promoted in the registry; promote one on the "
                            + "studio's Models panel or with pneuknow registry promote"));
            Path folder = Path.of(promoted.modelFolder());
            if (!Files.isRegularFile(folder.resolve("model.json"))) {
                throw new BadInputException(database.shown() + ": the promoted model " + promoted.id() + " is not in "
                        + folder + " any more; promote another, or restore the folder");
            }
            return folder;
        }
    }

    /** {@code pneuknow registry list}. */
    @Command(name = "list", description = "List the registered models, newest first: id, promoted (*), method, "
            + "architecture, test balanced accuracy, model id, annotation snapshot, folder.")
    static final class ListModels implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--db", paramLabel = "FILE|URL", required = true, description = "The database: an H2 file or a jdbc: URL.")
        String db;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (AnnotationDatabase database = AnnotationDatabase.open(db, null, false)) {
                out.println("id\tpromoted\tmethod\tarchitecture\ttest_balanced_accuracy\tmodel_id\tsnapshot\tfolder");
                for (RegisteredModel model : new TrainingStore(new AnnotationStore(database)).models()) {
                    var accuracy = Json.MAPPER.readTree(model.metrics()).path("balanced_accuracy").path("estimate");
                    out.printf(Locale.ROOT, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s%n", model.id(), model.promoted() ? "*" : "",
                            model.method(), model.architecture(), accuracy.isNumber()
                                    ? String.format(Locale.ROOT, "%.3f", accuracy.doubleValue()) : "",
                            model.modelId(), model.snapshotId() == null ? "" : model.snapshotId().substring(0, 12),
                            model.modelFolder());
                }
            }
            out.flush();
            return 0;
        }
    }

    /** {@code pneuknow registry promote ID}. */
    @Command(name = "promote", description = "Promote a registered model (and no other) to be the one served.")
    static final class Promote implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--db", paramLabel = "FILE|URL", required = true, description = "The database: an H2 file or a jdbc: URL.")
        String db;
        @Parameters(paramLabel = "ID", description = "The model's registry id (the first column of 'registry list').")
        long id;

        @Override
        public Integer call() {
            try (AnnotationDatabase database = AnnotationDatabase.open(db, null, false)) {
                RegisteredModel model = new TrainingStore(new AnnotationStore(database)).promote(id).orElseThrow(() ->
                        new BadInputException(database.shown() + ": no registered model " + id
                                + "; see pneuknow registry list"));
                PrintWriter out = spec.commandLine().getOut();
                out.printf("promoted model %d (%s, %s %s)%n", model.id(), model.modelId(), model.method(), model.architecture());
                out.flush();
            }
            return 0;
        }
    }
}
