package io.pneuknow.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.ParentWatch;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Job;
import io.pneuknow.annotate.JobState;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.TrainingStore;
import io.pneuknow.annotate.exchange.AnnotationExport;
import io.pneuknow.cli.Main;
import io.pneuknow.train.TrainingMethods;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs as the studio runs them, with real child JVMs: a tiny HKD job end to end (frozen snapshot, train, evaluate,
 * registered with its metrics and the snapshot in model.json), a cancelled job (child destroyed, nothing registered),
 * and a job left running by a stopped runner that the next runner resumes with {@code train --resume}.
 */
class JobRunnerTest {
    static final Duration WAIT = Duration.ofSeconds(240);
    static final JobSettings TINY_HKD = new JobSettings("hkd", "tiny_cnn", 32, 1);

    @TempDir
    static Path dir;
    static Path data;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static TrainingStore training;
    static Person admin;

    @BeforeAll
    static void dataSet() {
        data = dir.resolve("data");
        cli("data", "synthetic", "--out", data.toString(), "--train", "8", "--val", "4", "--test", "4", "--image-size", "64");
        cli("annotations", "import", "--data", data.toString(), "--regions", "regions.csv", "--split-column", "split");
        database = AnnotationDatabase.open("annotations", data, false);
        store = new AnnotationStore(database);
        training = new TrainingStore(store);
        admin = store.addPerson("ada", Role.ADMIN, null);
    }

    @AfterAll
    static void close() {
        database.close();
    }

    static JobRunner runner(String jobs) {
        return JobRunner.start(store, training, new JobRunner.Settings(data, dir.resolve(jobs), "split", "lesion", 1,
                JobRunner.thisJvm()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    static Job await(long id, Predicate<Job> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Job job = training.job(id).orElseThrow();
            if (condition.test(job)) {
                return job;
            }
            assertThat(System.nanoTime()).as(what + "; job now " + job).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    static void awaitNoChildren() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (ProcessHandle.current().descendants().anyMatch(ProcessHandle::isAlive)) {
            assertThat(System.nanoTime()).as("the child JVM ended").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void aTinyHkdJobFreezesTheAnnotationsTrainsEvaluatesAndRegistersItsModel() throws Exception {
        try (JobRunner runner = runner("jobs-e2e")) {
            Job queued = runner.submit(TINY_HKD, admin);
            assertThat(queued.state()).isEqualTo(JobState.QUEUED);
            Job done = await(queued.id(), j -> j.state().ended(), "the job ended");
            assertThat(done.state()).as(done.message()).isEqualTo(JobState.DONE);
            assertThat(done.progress()).isEqualTo(1.0);

            Path folder = Path.of(done.outputFolder());
            assertThat(folder).isEqualTo(dir.resolve("jobs-e2e").resolve("job-" + done.id()).toAbsolutePath());
            Path regions = folder.resolve("regions.csv");
            Path now = dir.resolve("export-now.csv");
            AnnotationExport.csv(store, data, now);
            assertThat(Files.readString(regions)).as("the snapshot is the annotations as they were").isEqualTo(Files.readString(now));
            assertThat(done.snapshotId()).isEqualTo(JobRunner.sha256(regions)).hasSize(64);

            JsonNode card = Json.MAPPER.readTree(folder.resolve("model/model.json").toFile());
            assertThat(card.path("annotationSnapshot").asText()).isEqualTo(done.snapshotId());
            assertThat(card.path("method").asText()).isEqualTo("hkd");
            JsonNode evaluation = Json.MAPPER.readTree(folder.resolve("evaluation-test/evaluation.json").toFile());

            List<RegisteredModel> models = training.models();
            RegisteredModel model = models.stream().filter(m -> done.id() == m.jobId()).findFirst().orElseThrow();
            assertThat(model.modelId()).isEqualTo(card.path("id").asText());
            assertThat(model.weightsSha256()).isEqualTo(card.path("weightsSha256").asText()).hasSize(64);
            assertThat(model.snapshotId()).isEqualTo(done.snapshotId());
            assertThat(model.dataFingerprint()).isEqualTo(card.path("dataFingerprint").asText());
            assertThat(model.modelFolder()).isEqualTo(folder.resolve("model").toString());
            assertThat(Json.MAPPER.readTree(model.card())).isEqualTo(card);
            assertThat(model.promoted()).isFalse();
            JsonNode metrics = Json.MAPPER.readTree(model.metrics());
            assertThat(metrics.path("part").asText()).isEqualTo("test");
            assertThat(metrics.path("images").asInt()).as("4 test images per class, 3 classes").isEqualTo(12);
            assertThat(metrics.path("accuracy").path("estimate").asDouble())
                    .isEqualTo(evaluation.path("metrics").path("metrics").path("accuracy").asDouble());
            assertThat(Files.readString(folder.resolve("job.log"))).contains("teacher  epoch 1/1", "student  epoch 1/1",
                    "$ pneuknow evaluate");
        }
        awaitNoChildren();
    }

    @Test
    void cancellingARunningJobDestroysItsChildAndRegistersNothing() throws Exception {
        try (JobRunner runner = runner("jobs-cancel")) {
            Job job = runner.submit(new JobSettings("baseline", "tiny_cnn", 32, 200), admin);
            await(job.id(), j -> j.progress() > 0, "the first epoch ended");
            assertThat(ProcessHandle.current().descendants().anyMatch(ProcessHandle::isAlive)).as("a child JVM trains").isTrue();
            assertThat(runner.cancel(job.id(), admin)).isTrue();
            Job cancelled = training.job(job.id()).orElseThrow();
            assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
            assertThat(cancelled.message()).isEqualTo("cancelled by ada");
            awaitNoChildren();
            assertThat(runner.cancel(job.id(), admin)).as("an ended job").isFalse();
            Thread.sleep(500);
            assertThat(training.job(job.id()).orElseThrow().state()).as("stays cancelled after its child ended").isEqualTo(JobState.CANCELLED);
            assertThat(training.models()).noneMatch(m -> m.jobId() == job.id());
        }
    }

    @Test
    void aJobLeftRunningByAStoppedRunnerResumesFromItsLastEpochInTheNextOne() throws Exception {
        Job job;
        try (JobRunner first = runner("jobs-resume")) {
            job = first.submit(new JobSettings("baseline", "tiny_cnn", 32, 30), admin);
            await(job.id(), j -> j.progress() >= JobRunner.EVALUATING * 2 / 30, "two epochs ended");
        }
        awaitNoChildren();
        Job left = training.job(job.id()).orElseThrow();
        assertThat(left.state()).as("a stopped studio leaves its job running, to resume").isEqualTo(JobState.RUNNING);
        Path folder = Path.of(left.outputFolder());
        int before = (int) Files.readString(folder.resolve("job.log")).lines().filter(l -> l.contains("baseline epoch")).count();
        assertThat(before).isBetween(2, 29);

        try (JobRunner second = runner("jobs-resume")) {
            Job done = await(job.id(), j -> j.state().ended(), "the resumed job ended");
            assertThat(done.state()).as(done.message()).isEqualTo(JobState.DONE);
            assertThat(done.snapshotId()).isEqualTo(left.snapshotId());
        }
        String log = Files.readString(folder.resolve("job.log"));
        String afterResume = log.substring(log.indexOf("$ pneuknow train --out " + folder.resolve("model") + " --resume"));
        assertThat(afterResume).as("resumed after the epochs the first run completed").doesNotContain("baseline epoch 1/30")
                .contains("baseline epoch 30/30");
        List<String> history = Files.readAllLines(folder.resolve("model/history-baseline.csv"));
        assertThat(history).hasSize(1 + 30);
        assertThat(Json.MAPPER.readTree(folder.resolve("model/model.json").toFile()).path("annotationSnapshot").asText())
                .isEqualTo(left.snapshotId());
    }

    @Test
    void aChildEndsByItselfWhenItsParentsPipeCloses() throws Exception {
        // what the kernel does to the pipe when the studio dies (kill -9 included): its end of the child's stdin closes
        List<String> command = new java.util.ArrayList<>(JobRunner.thisJvm());
        command.addAll(List.of("train", "--data", data.toString(), "--regions", data.resolve("regions.csv").toString(),
                "--split-column", "split", "--architecture", "tiny_cnn", "--input-size", "32", "--epochs", "200",
                "--method", "baseline", "--threads", "1", "--out", dir.resolve("orphan").toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.contains("baseline epoch 1/200")) {
                // until it trains
            }
            assertThat(line).as("the child trains").isNotNull();
            child.getOutputStream().close();
            assertThat(child.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).as("ended within 20 s").isTrue();
            assertThat(child.exitValue()).as("SIGKILL to itself").isEqualTo(ParentWatch.KILLED);
        } finally {
            child.destroyForcibly();
        }
        assertThat(dir.resolve("orphan/model.json")).as("it stopped, far from its 200 epochs").doesNotExist();
    }

    @Test
    void progressComesFromTheStagesEpochLines() {
        List<String> hkd = List.of("teacher", "student");
        assertThat(JobRunner.progressOf("teacher  epoch 1/2 loss 0.9 val 0.5 eta 0:03", hkd)).isCloseTo(0.2375, within(1e-12));
        assertThat(JobRunner.progressOf("student  epoch 2/2 loss 0.1 eta 0:00", hkd)).isCloseTo(0.95, within(1e-12));
        assertThat(JobRunner.progressOf("\rstudent  epoch 1/4 step 3/3 [###] loss 0.1 eta 0:00", hkd)).isCloseTo(0.59375, within(1e-12));
        assertThat(JobRunner.progressOf("baseline epoch 1/4 loss 0.5", List.of("baseline"))).isCloseTo(0.2375, within(1e-12));
        assertThat(JobRunner.progressOf("train 8, val 4, test 4 images; method hkd", hkd)).isNull();
        assertThat(JobRunner.progressOf("pretrain epoch 1/4", hkd)).as("not a stage of this job").isNull();
    }

    @Test
    void settingsAreCheckedFieldByField() {
        assertThat(JobSettings.of(Json.MAPPER.createObjectNode().put("method", "hkd").put("architecture", "tiny_cnn")
                .put("inputSize", 64).put("epochs", 3))).isEqualTo(new JobSettings("hkd", "tiny_cnn", 64, 3));
        assertThat(TINY_HKD.json()).isEqualTo("{\"method\":\"hkd\",\"architecture\":\"tiny_cnn\",\"inputSize\":32,\"epochs\":1}");
        assertThatThrownBy(() -> new JobSettings("hdk", "tiny_cnn", 32, 1)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting method 'hdk' is not one of " + String.join(", ", TrainingMethods.names()) + "; choose one");
        assertThat(new JobSettings("hkd-energy", "tiny_cnn", 32, 1).stages()).containsExactly("teacher", "student");
        assertThatThrownBy(() -> new JobSettings("hkd", "tiny_cnn", 48, 1)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting inputSize 48 must be a multiple of 32 from 32 to 512");
        assertThatThrownBy(() -> new JobSettings("hkd", "tiny_cnn", 32, 0)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting epochs 0 must be from 1 to 200");
        assertThatThrownBy(() -> JobSettings.of(Json.MAPPER.createObjectNode().put("seed", 1))).isInstanceOf(BadInputException.class)
                .hasMessage("job setting 'seed' is unknown; give method, architecture, inputSize, epochs (a study gives kind, "
                        + "architecture, inputSize, epochs, seeds)");
        assertThatThrownBy(() -> new JobSettings("hkd", "vgg", 32, 1)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("job setting architecture 'vgg' is not one of tiny_cnn, resnet18, ");
    }

    @Test
    void aStudyIsAJobKindNotAMethodAndItsSettingsAreCheckedToo() throws Exception {
        JobSettings study = JobSettings.of(Json.MAPPER.createObjectNode().put("kind", "study").put("architecture", "tiny_cnn")
                .put("inputSize", 32).put("epochs", 2).put("seeds", 3));
        assertThat(study).isEqualTo(JobSettings.study("tiny_cnn", 32, 2, 3));
        assertThat(study.method()).isNull();
        assertThat(study.jobKind()).isEqualTo("study");
        assertThat(study.json()).isEqualTo("{\"kind\":\"study\",\"architecture\":\"tiny_cnn\",\"inputSize\":32,\"epochs\":2,\"seeds\":3}");
        assertThat(JobSettings.of(Json.MAPPER.readTree(study.json()))).isEqualTo(study);
        assertThat(TrainingMethods.find("study")).as("no training method is called study").isEmpty();
        assertThat(TINY_HKD.jobKind()).isEqualTo("hkd");
        assertThat(JobSettings.of(((com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(TINY_HKD.json())).put("kind", "train"))).isEqualTo(TINY_HKD);
        assertThatThrownBy(() -> JobSettings.study("tiny_cnn", 32, 2, 0)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting seeds 0 must be from 1 to 10");
        assertThatThrownBy(() -> JobSettings.study("tiny_cnn", 32, 2, 11)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting seeds 11 must be from 1 to 10");
        assertThatThrownBy(() -> JobSettings.of(Json.MAPPER.createObjectNode().put("kind", "study").put("method", "hkd")
                .put("architecture", "tiny_cnn").put("inputSize", 32).put("epochs", 2).put("seeds", 3)))
                .isInstanceOf(BadInputException.class)
                .hasMessage("job setting 'method' is unknown; a study gives kind, architecture, inputSize, epochs, seeds");
        assertThatThrownBy(() -> new JobSettings("study", "hkd", "tiny_cnn", 32, 2, 3)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting method 'hkd' is not for a study, which compares baseline and hkd; leave it out");
        assertThatThrownBy(() -> new JobSettings("sweep", null, "tiny_cnn", 32, 2, 3)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting kind 'sweep' is not one of train, study");
        assertThatThrownBy(() -> new JobSettings("train", "hkd", "tiny_cnn", 32, 2, 3)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting seeds is for a study; a training job trains one seed");
        assertThatThrownBy(() -> JobSettings.study("tiny_cnn", 40, 2, 3)).isInstanceOf(BadInputException.class)
                .hasMessage("job setting inputSize 40 must be a multiple of 32 from 32 to 512");
    }

    @Test
    void aStudysProgressComesFromItsCellAndEpochLines() {
        StudyProgress progress = new StudyProgress();
        assertThat(progress.apply("baseline epoch 1/2 loss 0.5")).as("before any cell line").isNull();
        assertThat(progress.apply("cell 1/4 tiny_cnn baseline fold 0 seed 1: done earlier")).isCloseTo(0.95 / 4, within(1e-12));
        assertThat(progress.apply("cell 2/4 tiny_cnn baseline fold 0 seed 2: training; 3 cells left, about 1 min"))
                .isCloseTo(0.95 / 4, within(1e-12));
        // cell 2 of 4, its one stage half done: (1 + 0.5) / 4
        assertThat(progress.apply("baseline epoch 1/2 loss 0.5 val 0.4")).isCloseTo(0.95 * 1.5 / 4, within(1e-12));
        assertThat(progress.apply("cell 3/4 tiny_cnn hkd fold 0 seed 1: training; 2 cells left")).isCloseTo(0.95 * 2 / 4, within(1e-12));
        // cell 3 of 4, HKD: the teacher's 2 of 2 epochs are half the cell: (2 + 0.5) / 4
        assertThat(progress.apply("\rteacher  epoch 2/2 step 3/3 [###] loss 0.1")).isCloseTo(0.95 * 2.5 / 4, within(1e-12));
        assertThat(progress.apply("student  epoch 1/2 loss 0.1")).isCloseTo(0.95 * 2.75 / 4, within(1e-12));
        assertThat(progress.apply("baseline epoch 1/2 loss 0.5")).as("not a stage of this cell's method").isNull();
        assertThat(progress.apply("summary: pooled balanced accuracy")).isNull();
    }

    @Test
    void aTinyStudyJobRunsTheExperimentOnTheSnapshotKeepsItsReportAndRegistersNoModel() throws Exception {
        int modelsBefore = training.models().size();
        try (JobRunner runner = runner("jobs-study")) {
            Job queued = runner.submit(JobSettings.study("tiny_cnn", 32, 1, 1), admin);
            assertThat(queued.kind()).isEqualTo("study");
            Job done = await(queued.id(), j -> j.state().ended(), "the study ended");
            assertThat(done.state()).as(done.message()).isEqualTo(JobState.DONE);
            assertThat(done.progress()).isEqualTo(1.0);
            assertThat(done.message()).isEqualTo("study report ready");
            Path folder = Path.of(done.outputFolder());
            assertThat(done.snapshotId()).isEqualTo(JobRunner.sha256(folder.resolve("regions.csv")));
            JsonNode study = Json.MAPPER.readTree(folder.resolve("study.json").toFile());
            assertThat(study.at("/data/regionsCsv").asText()).isEqualTo(folder.resolve("regions.csv").toString());
            assertThat(study.at("/data/splitColumn").asText()).isEqualTo("split");
            assertThat(study.path("methods")).extracting(JsonNode::asText).containsExactly("baseline", "hkd");
            assertThat(study.path("seeds")).extracting(JsonNode::asInt).containsExactly(1);
            assertThat(JobRunner.studyReport(done)).contains(folder.resolve("study/report.html"));
            assertThat(folder.resolve("study/summary.json")).isRegularFile();
            String log = Files.readString(folder.resolve("job.log"));
            assertThat(log).contains("$ pneuknow experiment --config " + folder.resolve("study.json"),
                    "cell 1/2 tiny_cnn baseline fold 0 seed 1: training", "cell 2/2 tiny_cnn hkd fold 0 seed 1: training");
        }
        assertThat(training.models()).as("a study registers no model").hasSize(modelsBefore);
        awaitNoChildren();
    }

    private static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
    }
}
