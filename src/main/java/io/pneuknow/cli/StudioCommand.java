package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.TrainingStore;
import io.pneuknow.jobs.JobRunner;
import io.pneuknow.serve.AuditLog;
import io.pneuknow.studio.ModelPredictions;
import io.pneuknow.studio.StudioServer;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pneuknow studio}: the radiologist's workspace server over the annotation database. */
@Command(name = "studio", sortOptions = false, description = {"Serve the annotation workspace: a drawing page at / "
        + "(image list, viewer with window/level, boxes, polygons and free-hand outlines, reviews) over a JSON API "
        + "under /api.",
        "People sign in with the key 'pneuknow annotations add-person' gave them; the data set must have been imported "
                + "('pneuknow annotations import') into --db."})
final class StudioCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--data", required = true, description = "Data folder the database's image files are relative to.")
    Path data;
    @Option(names = "--db", paramLabel = "FILE|URL", defaultValue = AnnotationsCommand.DEFAULT_DB, description = "The "
            + "database: an H2 file relative to --data or a jdbc:postgresql:// URL (default ${DEFAULT-VALUE}).")
    String db;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
    String host;
    @Option(names = "--port", defaultValue = "8090", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--secure-cookie", description = "Mark the session cookie Secure (when served behind HTTPS).")
    boolean secureCookie;
    @Option(names = "--audit-log", description = "Append one JSON line per API request to this file (created 0600): "
            + "who viewed which image and who changed which region, with the request id.")
    Path auditLog;
    @Option(names = "--access-log", description = "Append the access log here instead of standard error.")
    Path accessLog;
    @Option(names = "--allowed-hosts", split = ",", paramLabel = "HOST", description = "Host header names answered "
            + "(port ignored), comma-separated; '*' for any. Default: the loopback names on a loopback --host.")
    List<String> allowedHosts = new ArrayList<>();
    @Option(names = "--model", paramLabel = "DIR", description = "Serve this trained model's predictions: a background "
            + "thread predicts every image it has not predicted yet (stored in the database, kept across restarts; "
            + "progress on standard error), and the list shows and filters by each prediction and whether it is right.")
    Path model;
    @Option(names = "--jobs-folder", paramLabel = "DIR", description = "Where training jobs started from the page write "
            + "their folders (job-ID: the frozen regions.csv, the model, its evaluation, job.log; default DATA/studio-jobs).")
    Path jobsFolder;
    @Option(names = "--jobs-split-column", paramLabel = "COLUMN", description = "The labels column holding each image's "
            + "part (train/val/test) that jobs train and evaluate on (default: train's generated split).")
    String jobsSplitColumn;
    @Option(names = "--jobs-region-type", paramLabel = "TYPE", defaultValue = "lesion", description = "The region type "
            + "jobs learn from (train's --region-type; default ${DEFAULT-VALUE}).")
    String jobsRegionType;
    @Option(names = "--jobs-threads", defaultValue = "0", description = "Engine threads of a job's training JVM (default: "
            + "${DEFAULT-VALUE}, all cores).")
    int jobsThreads;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(data)) {
            throw new BadInputException("--data " + data + ": not a folder; give the data set's folder");
        }
        if (model != null && !Files.isRegularFile(model.resolve("model.json"))) {
            throw new BadInputException("--model " + model + ": no model.json there; give the folder pneuknow train wrote");
        }
        AnnotationDatabase database = AnnotationDatabase.open(db, data, false);
        AnnotationStore store = new AnnotationStore(database);
        ModelPredictions predictions;
        try {
            predictions = model == null ? null : ModelPredictions.open(model, store, data, System.err);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        PrintStream log = accessLog == null ? System.err : new PrintStream(new FileOutputStream(accessLog.toFile(), true), true);
        StudioServer server;
        Path jobs = jobsFolder != null ? jobsFolder : data.resolve("studio-jobs");
        JobRunner runner = JobRunner.start(store, new TrainingStore(store), new JobRunner.Settings(data, jobs,
                jobsSplitColumn, jobsRegionType, jobsThreads, JobRunner.thisJvm()), System.err);
        try {
            server = StudioServer.start(store, new StudioServer.Settings(host, port, data,
                    secureCookie, auditLog == null ? null : AuditLog.Options.of(auditLog), allowedHosts), log, predictions, runner);
        } catch (RuntimeException e) {
            runner.close();
            if (predictions != null) {
                predictions.close();
            }
            database.close();
            throw new BadInputException(host + ":" + port + ": cannot start the studio (" + e.getMessage()
                    + "); choose another --port or --host", e);
        }
        if (predictions != null) {
            predictions.start(); // after the server answers: predicting never delays start-up
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runner.close(); // a running job stays running in the database; the next start resumes it
            if (predictions != null) {
                predictions.close();
            }
            server.close();
            database.close();
            stopped.countDown();
        }, "shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("studio on %s at http://%s:%d/%s; jobs in %s%s; Ctrl-C stops%n", database.shown(), host, server.port(),
                auditLog == null ? "" : ", audit log " + auditLog, jobs.toAbsolutePath().normalize(),
                predictions == null ? "" : ", predicting with model " + predictions.modelId() + " in the background");
        out.flush();
        stopped.await();
        return 0;
    }
}
