package io.pneuknow.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Job;
import io.pneuknow.annotate.JobState;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.TrainingStore;
import io.pneuknow.annotate.exchange.AnnotationExport;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.train.TrainingJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the workspace's training jobs, one at a time, each in a child JVM (the engine's random generator and thread
 * count are per process): a job freezes the current annotations into {@code JOBS/job-ID/regions.csv} (its SHA-256 is
 * the snapshot id, recorded in the job and, through {@code train --annotation-snapshot}, in model.json), runs
 * {@code train} into {@code JOBS/job-ID/model}, then {@code evaluate} on the test part, and registers the model with
 * its test metrics as it marks the job done. A study job ({@link JobSettings#STUDY}) runs {@code experiment} instead
 * ({@link #studyJson}), keeps its study folder with report.html in the job's folder and registers no model. Progress
 * comes from train's epoch lines (a study's: {@link StudyProgress}). Cancel destroys the child and
 * marks the job cancelled. Closing the runner (the studio stopping) destroys the child and leaves the job running in
 * the database: a runner started again resumes it with {@code train --resume} on the same folder and snapshot. The
 * child ends by itself when the studio's process ends ({@code io.pneuknow.cli.StudioJobChild}), so two processes never
 * write one job's folder.
 */
public final class JobRunner implements AutoCloseable {
    /** The child's entry point, named here so that this package does not depend on the command line's. */
    static final String CHILD_MAIN = "io.pneuknow.cli.StudioJobChild";
    /** Progress given to a job whose training ended, while evaluate scores it. */
    static final double EVALUATING = 0.95;
    /** A study job's study file and folder in the job's folder, and the report the study writes there. */
    static final String STUDY_FILE = "study.json";
    static final String STUDY_FOLDER = "study";
    static final String REPORT = "report.html";
    /** Bootstrap replicates of a study job's intervals. */
    static final int STUDY_REPLICATES = 1000;
    private static final Pattern EPOCH_LINE = Pattern.compile("^\\s*(\\S+)\\s+epoch (\\d+)/(\\d+)\\b");
    private static final int TAIL_LINES = 20;
    /** How long an idle runner waits before it looks for jobs again (queued by another studio on the same database). */
    private static final long IDLE_WAIT_MILLIS = 5_000;

    /**
     * Where and how jobs run.
     *
     * @param dataDir the data folder (train's {@code --data}; the labels file is its labels.csv)
     * @param jobsDir the folder that holds one folder per job
     * @param splitColumn the labels column holding train/val/test, or null for train's generated split
     * @param regionType the region type the models learn from (train's {@code --region-type}), or null for all
     * @param threads the child's engine threads (0: all cores)
     * @param javaCommand the command that starts a child JVM up to its main class's arguments ({@link #thisJvm()})
     */
    public record Settings(Path dataDir, Path jobsDir, String splitColumn, String regionType, int threads,
                           List<String> javaCommand) {
        /** The folders made absolute: the child's arguments name them so. */
        public Settings {
            dataDir = dataDir.toAbsolutePath().normalize();
            jobsDir = jobsDir.toAbsolutePath().normalize();
            javaCommand = List.copyOf(javaCommand);
        }
    }

    private final AnnotationStore store;
    private final TrainingStore training;
    private final Settings settings;
    private final PrintStream log;
    private final Object lock = new Object();
    private final Thread worker;
    private volatile boolean closed;
    private Process child;
    private long childJob = -1;

    private JobRunner(AnnotationStore store, TrainingStore training, Settings settings, PrintStream log) {
        this.store = store;
        this.training = training;
        this.settings = settings;
        this.log = log;
        this.worker = new Thread(this::work, "studio-jobs");
        this.worker.setDaemon(true);
    }

    /** Starts the runner: jobs left running by a previous studio resume first, then queued ones in order. */
    public static JobRunner start(AnnotationStore store, TrainingStore training, Settings settings, PrintStream log) {
        JobRunner runner = new JobRunner(store, training, settings, log);
        runner.worker.start();
        return runner;
    }

    /**
     * The command that starts a JVM like this one (its java, class path and offline setting) at the child's main, with
     * the options of a training JVM ({@link TrainingJvm}).
     */
    public static List<String> thisJvm() {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(TrainingJvm.OPTIONS);
        command.addAll(List.of("-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), CHILD_MAIN));
        return List.copyOf(command);
    }

    /** The training store the runner records jobs and models in. */
    public TrainingStore training() {
        return training;
    }

    /** Queues a job with these settings, started by {@code person}; the runner takes it when the jobs before it end. */
    public Job submit(JobSettings jobSettings, Person person) {
        Job job = training.addJob(jobSettings.jobKind(), jobSettings.json(), person);
        synchronized (lock) {
            lock.notifyAll();
        }
        return job;
    }

    /** Cancels a queued or running job (its child is destroyed); false when it had ended already. */
    public boolean cancel(long id, Person person) {
        boolean cancelled = training.cancel(id, "cancelled by " + person.name());
        if (cancelled) {
            synchronized (lock) {
                if (childJob == id && child != null) {
                    destroy(child);
                }
            }
        }
        return cancelled;
    }

    /** Stops taking jobs and destroys a running child; its job stays running in the database, to resume. */
    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            if (child != null) {
                destroy(child);
            }
            lock.notifyAll();
        }
        try {
            worker.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void work() {
        while (!closed) {
            Optional<Job> next = nextJob();
            if (next.isEmpty()) {
                synchronized (lock) {
                    try {
                        lock.wait(IDLE_WAIT_MILLIS); // a job submitted here wakes it at once
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                continue;
            }
            Job job = next.get();
            try {
                run(job);
            } catch (Exception e) {
                if (!closed) {
                    training.fail(job.id(), "the studio could not run the job: " + oneLine(e));
                    log.println("job " + job.id() + " failed: " + oneLine(e));
                }
            }
        }
    }

    /** A job left running (to resume) first, else the oldest queued one. */
    private Optional<Job> nextJob() {
        try {
            List<Job> running = training.jobs(JobState.RUNNING);
            if (!running.isEmpty()) {
                return Optional.of(running.get(0));
            }
            return training.jobs(JobState.QUEUED).stream().findFirst();
        } catch (RuntimeException e) {
            log.println("jobs: cannot read the job list: " + oneLine(e));
            return Optional.empty();
        }
    }

    private void run(Job job) throws IOException, InterruptedException {
        JobSettings jobSettings = JobSettings.of(Json.MAPPER.readTree(job.settings()));
        Path folder = settings.jobsDir().resolve("job-" + job.id());
        Path regions = folder.resolve("regions.csv");
        boolean resume = job.state() == JobState.RUNNING;
        String snapshot;
        if (resume) {
            snapshot = job.snapshotId();
            if (snapshot == null || !Files.isRegularFile(regions) || !sha256(regions).equals(snapshot)) {
                training.fail(job.id(), regions + " is missing or no longer the snapshot " + snapshot
                        + " the job started on; start a new job");
                return;
            }
            training.progress(job.id(), job.progress(), "resumed after the studio restarted");
            log.println("job " + job.id() + ": resuming in " + folder);
        } else {
            Files.createDirectories(folder);
            AnnotationExport.csv(store, settings.dataDir(), regions);
            snapshot = sha256(regions);
            if (!training.markRunning(job.id(), folder.toString(), snapshot)) {
                return; // cancelled while it froze the annotations
            }
            log.println("job " + job.id() + ": " + jobSettings.jobKind() + " on snapshot " + snapshot + " in " + folder);
        }
        if (jobSettings.isStudy()) {
            runStudy(job, jobSettings, folder, regions);
        } else {
            runTraining(job, jobSettings, folder, regions, snapshot, resume);
        }
    }

    /** A training job: train (or resume it), evaluate on the test part, register the model as the job ends. */
    private void runTraining(Job job, JobSettings jobSettings, Path folder, Path regions, String snapshot, boolean resume)
            throws IOException, InterruptedException {
        Path model = folder.resolve("model");
        List<String> train = resume && Files.isRegularFile(model.resolve("config.json"))
                ? List.of("train", "--out", model.toString(), "--resume", "--annotation-snapshot", snapshot)
                : trainArguments(jobSettings, regions, model, snapshot);
        List<String> stages = jobSettings.stages();
        Ending trained = runChild(job.id(), train, line -> progressOf(line, stages), folder.resolve("job.log"));
        if (trained.code() != 0) {
            failUnlessEnded(job.id(), "train", trained);
            return;
        }
        training.progress(job.id(), EVALUATING, "evaluating on the test part");
        Path evaluation = folder.resolve("evaluation-test");
        Ending evaluated = runChild(job.id(), List.of("evaluate", "--model", model.toString(), "--out", evaluation.toString(),
                "--max-heat-maps", "0", "--replicates", "200", "--threads", Integer.toString(settings.threads())),
                line -> null, folder.resolve("job.log"));
        if (evaluated.code() != 0) {
            failUnlessEnded(job.id(), "evaluate", evaluated);
            return;
        }
        JsonNode card = Json.MAPPER.readTree(model.resolve("model.json").toFile());
        String metrics = testMetrics(Json.MAPPER.readTree(evaluation.resolve("evaluation.json").toFile()));
        Optional<RegisteredModel> registered = training.finish(job.id(), new RegisteredModel.Draft(job.id(), model.toString(),
                card.path("id").asText(), card.path("weightsSha256").asText(), card.path("method").asText(),
                card.path("architecture").asText(), metrics, card.toString(), card.path("dataFingerprint").asText(null),
                snapshot));
        registered.ifPresent(m -> log.println("job " + job.id() + ": done, model " + m.modelId() + " registered as " + m.id()));
    }

    /**
     * A study job: {@code pneuknow experiment} on a study file written into the job's folder (the frozen regions,
     * {@link JobSettings#STUDY_METHODS} over the seeds); the study folder keeps summary.md, summary.json and
     * report.html. Run again on resume: experiment keeps the cells it finished and resumes the one it was training.
     * Registers no model.
     */
    private void runStudy(Job job, JobSettings jobSettings, Path folder, Path regions) throws IOException, InterruptedException {
        Path config = folder.resolve(STUDY_FILE);
        if (!Files.isRegularFile(config)) {
            AtomicFiles.writeString(config, studyJson(job.id(), jobSettings, regions));
        }
        Path out = folder.resolve(STUDY_FOLDER);
        StudyProgress progress = new StudyProgress();
        Ending studied = runChild(job.id(), List.of("experiment", "--config", config.toString(), "--out", out.toString()),
                progress, folder.resolve("job.log"));
        if (studied.code() != 0) {
            failUnlessEnded(job.id(), "experiment", studied);
            return;
        }
        if (training.finishWithoutModel(job.id(), "study report ready")) {
            log.println("job " + job.id() + ": study done, report in " + out.resolve(REPORT));
        }
    }

    /**
     * The study file of a study job: the data folder with the frozen regions (of the runner's region type), its split
     * column (without one: 3 patient-grouped folds from seed 1, fold 0 the test part), {@link JobSettings#STUDY_METHODS}
     * over seeds 1 to N, the job's architecture, input size and epochs for every stage, the runner's threads.
     */
    String studyJson(long jobId, JobSettings jobSettings, Path regions) {
        ObjectNode study = Json.MAPPER.createObjectNode();
        study.put("name", "studio job " + jobId + ": " + String.join(" and ", JobSettings.STUDY_METHODS)
                + ", " + jobSettings.architecture() + " at " + jobSettings.inputSize() + " px, " + jobSettings.seeds()
                + (jobSettings.seeds() == 1 ? " seed" : " seeds"));
        ObjectNode data = study.putObject("data");
        data.put("root", settings.dataDir().toString());
        data.put("regionsCsv", regions.toAbsolutePath().toString());
        if (settings.regionType() != null) {
            data.putArray("regionTypes").add(settings.regionType());
        }
        if (settings.splitColumn() != null) {
            data.put("splitColumn", settings.splitColumn());
        }
        study.put("folds", 3);
        study.put("foldSeed", 1);
        if (settings.splitColumn() == null) {
            study.putArray("testFolds").add(0);
        }
        study.putArray("architectures").add(jobSettings.architecture());
        JobSettings.STUDY_METHODS.forEach(study.putArray("methods")::add);
        var seeds = study.putArray("seeds");
        for (int seed = 1; seed <= jobSettings.seeds(); seed++) {
            seeds.add(seed);
        }
        study.put("replicates", STUDY_REPLICATES);
        ObjectNode train = study.putObject("train");
        ObjectNode model = train.putObject("model");
        model.put("architecture", jobSettings.architecture());
        model.put("inputSize", jobSettings.inputSize());
        ObjectNode optimisation = train.putObject("optimisation");
        optimisation.put("epochs", jobSettings.epochs());
        optimisation.put("studentEpochs", jobSettings.epochs());
        optimisation.put("teacherEpochs", jobSettings.epochs());
        optimisation.put("threads", settings.threads());
        return study.toPrettyString() + "\n";
    }

    /** A study job's report.html, once its study has written it. */
    public static Optional<Path> studyReport(Job job) {
        if (!JobSettings.STUDY.equals(job.kind()) || job.outputFolder() == null) {
            return Optional.empty();
        }
        Path report = Path.of(job.outputFolder()).resolve(STUDY_FOLDER).resolve(REPORT);
        return Files.isRegularFile(report) ? Optional.of(report) : Optional.empty();
    }

    /** train's arguments for a fresh job. */
    List<String> trainArguments(JobSettings jobSettings, Path regions, Path model, String snapshot) {
        List<String> args = new ArrayList<>(List.of("train", "--data", settings.dataDir().toString(),
                "--regions", regions.toString()));
        if (settings.regionType() != null) {
            args.addAll(List.of("--region-type", settings.regionType()));
        }
        if (settings.splitColumn() != null) {
            args.addAll(List.of("--split-column", settings.splitColumn()));
        }
        String epochs = Integer.toString(jobSettings.epochs());
        args.addAll(List.of("--method", jobSettings.method(), "--architecture", jobSettings.architecture(),
                "--input-size", Integer.toString(jobSettings.inputSize()), "--epochs", epochs, "--teacher-epochs", epochs,
                "--student-epochs", epochs, "--threads", Integer.toString(settings.threads()),
                "--annotation-snapshot", snapshot, "--out", model.toString()));
        return args;
    }

    /** How a child ended: its exit code and its last lines. */
    private record Ending(int code, List<String> tail) {
    }

    private void failUnlessEnded(long id, String step, Ending ending) {
        if (closed) {
            return; // the studio is stopping: the job stays running, to resume
        }
        String last = ending.tail().isEmpty() ? "" : ": " + ending.tail().get(ending.tail().size() - 1);
        if (training.fail(id, step + " exited with code " + ending.code() + last)) {
            log.println("job " + id + ": " + step + " failed with code " + ending.code() + last);
        }
    }

    private Ending runChild(long id, List<String> args, Function<String, Double> progressOf, Path logFile)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(settings.javaCommand());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process process;
        synchronized (lock) {
            if (closed || training.job(id).map(j -> j.state() != JobState.RUNNING).orElse(true)) {
                return new Ending(-1, List.of("not started: the job was cancelled or the studio is stopping"));
            }
            process = builder.start();
            child = process;
            childJob = id;
        }
        List<String> tail = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer file = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                     StandardOpenOption.APPEND)) {
            file.write("$ pneuknow " + String.join(" ", args) + "\n");
            String line;
            while ((line = out.readLine()) != null) {
                file.write(line + "\n");
                file.flush();
                String shown = line.replace("\r", "").strip();
                if (!shown.isEmpty()) {
                    tail.add(shown);
                    if (tail.size() > TAIL_LINES) {
                        tail.remove(0);
                    }
                }
                Double progress = progressOf.apply(line);
                if (progress != null) {
                    training.progress(id, progress, shown);
                }
            }
            return new Ending(process.waitFor(), tail);
        } finally {
            synchronized (lock) {
                child = null;
                childJob = -1;
            }
            if (process.isAlive()) {
                destroy(process);
            }
        }
    }

    /**
     * The job's progress after one of train's output lines, or null when it is no epoch line: stage {@code s} of
     * {@code n} (by name, in {@code stages}) at epoch {@code e} of {@code E} is {@code (s + e / E) / n}, scaled to
     * the part of the job before evaluation ({@value #EVALUATING}).
     */
    static Double progressOf(String line, List<String> stages) {
        Matcher m = EPOCH_LINE.matcher(line.replace("\r", ""));
        if (!m.find()) {
            return null;
        }
        int stage = stages.indexOf(m.group(1).toLowerCase(Locale.ROOT));
        int epoch = Integer.parseInt(m.group(2));
        int epochs = Integer.parseInt(m.group(3));
        if (stage < 0 || epochs <= 0) {
            return null;
        }
        return EVALUATING * (stage + Math.min(1.0, (double) epoch / epochs)) / stages.size();
    }

    /** The overall test metrics of an evaluation.json: each metric's estimate and 95% interval, and the image count. */
    static String testMetrics(JsonNode evaluation) {
        ObjectNode metrics = Json.MAPPER.createObjectNode();
        metrics.put("part", evaluation.path("part").asText());
        metrics.put("images", evaluation.path("images").asInt());
        for (JsonNode row : evaluation.path("metrics").path("rows")) {
            if (row.path("className").asText().isEmpty()) {
                ObjectNode value = metrics.putObject(row.path("metric").asText());
                value.set("estimate", row.path("interval").path("estimate"));
                value.set("lower", row.path("interval").path("lower"));
                value.set("upper", row.path("interval").path("upper"));
            }
        }
        return metrics.toString();
    }

    /** The SHA-256 of a file's bytes, in hex. */
    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void destroy(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String oneLine(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse("");
    }
}
