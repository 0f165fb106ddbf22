package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.Job;
import io.pneuknow.annotate.JobState;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.TrainingStore;
import io.pneuknow.browser.Browser;
import io.pneuknow.cli.Main;
import io.pneuknow.jobs.JobRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Models panel in a real browser (headless Chromium), as an admin works: opens it from the header, starts a long
 * job and watches its progress bar move, cancels it (its child JVM ends, the row says cancelled), starts two tiny jobs
 * (HKD and baseline, each trained and evaluated in its own JVM), compares the two registered models side by side
 * (the difference column is checked against the registry's own numbers) and promotes one; then runs a tiny study
 * (baseline against HKD, one seed) whose report the jobs list links to and which registers no model; the page's
 * Content-Security-Policy is never violated and no script error is thrown. Screenshots go to {@code target/browser/}.
 */
class StudioBrowserJobsTest {
    static final Duration WAIT = Duration.ofSeconds(240);
    static final String BOSS_KEY = Credentials.newKey();

    @TempDir
    static Path dir;
    static Path data;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static TrainingStore training;
    static JobRunner runner;
    static StudioServer server;

    @BeforeAll
    static void start() {
        data = dir.resolve("data");
        cli("data", "synthetic", "--out", data.toString(), "--train", "8", "--val", "4", "--test", "4", "--image-size", "64");
        cli("annotations", "import", "--data", data.toString(), "--regions", "regions.csv", "--split-column", "split");
        database = AnnotationDatabase.open("annotations", data, false);
        store = new AnnotationStore(database);
        store.addPerson("boss", Role.ADMIN, Credentials.hash(BOSS_KEY));
        training = new TrainingStore(store);
        runner = JobRunner.start(store, training, new JobRunner.Settings(data, data.resolve("studio-jobs"), "split", "lesion", 1,
                JobRunner.thisJvm()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, data, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), null, runner);
    }

    @AfterAll
    static void stop() {
        if (runner != null) {
            runner.close();
        }
        server.close();
        database.close();
    }

    @Test
    void anAdminStartsWatchesCancelsComparesAndPromotesFromTheModelsPanel() throws Exception {
        try (Browser browser = Browser.launch(dir.resolve("browser"))) {
            browser.send("Page.addScriptToEvaluateOnNewDocument", Map.of("source", StudioBrowserTest.WATCH));
            browser.send("Page.navigate", Map.of("url", "http://127.0.0.1:" + server.port() + "/"));
            browser.waitFor("document.getElementById('login') && !document.getElementById('login').hidden", WAIT);
            browser.click("#login-name");
            browser.type("boss");
            browser.click("#login-key");
            browser.type(BOSS_KEY);
            browser.click("#login button[type=submit]");
            browser.waitFor("document.body.dataset.viewer", WAIT);

            browser.click("#open-models");
            browser.waitFor("!document.getElementById('models-panel').hidden", WAIT);

            // a long job: its progress bar moves while it trains; then Cancel
            choose(browser, "baseline", "tiny_cnn", 32, 200);
            browser.click("#job-start");
            browser.waitFor("document.querySelector('#job-list tr[data-state=running] progress')"
                    + " && document.querySelector('#job-list tr[data-state=running] progress').value > 0", WAIT);
            long longJob = browser.evaluate("Number(document.querySelector('#job-list tr[data-state=running]').dataset.jobId)").asLong();
            assertThat(browser.text("#job-list tr[data-job-id='" + longJob + "'] .job-message")).contains("baseline epoch ");
            browser.screenshot(Path.of("target/browser/studio-job-running.png"));
            browser.click("#job-list tr[data-job-id='" + longJob + "'] .job-cancel");
            browser.waitFor("document.querySelector(\"#job-list tr[data-job-id='" + longJob + "']\").dataset.state === 'cancelled'", WAIT);
            assertThat(training.job(longJob).orElseThrow().message()).isEqualTo("cancelled by boss");
            assertThat(browser.evaluate("document.querySelectorAll(\"#job-list tr[data-job-id='" + longJob + "'] .job-cancel\").length")
                    .asInt()).as("an ended job has no Cancel").isZero();

            // two tiny jobs, one after the other: both end in the registry
            choose(browser, "hkd", "tiny_cnn", 32, 1);
            browser.click("#job-start");
            browser.waitFor("document.querySelectorAll('#job-list tbody tr').length === 2", WAIT);
            choose(browser, "baseline", "tiny_cnn", 32, 1);
            browser.click("#job-start");
            browser.waitFor("document.querySelectorAll('#job-list tr[data-state=done]').length === 2"
                    + " && document.querySelectorAll('#model-list tbody tr').length === 2", WAIT);
            List<RegisteredModel> models = training.models(); // newest first: baseline, then hkd
            assertThat(models).extracting(RegisteredModel::method).containsExactly("baseline", "hkd");
            RegisteredModel hkd = models.get(1);
            RegisteredModel baseline = models.get(0);
            Job hkdJob = training.job(hkd.jobId()).orElseThrow();
            assertThat(hkd.snapshotId()).isEqualTo(hkdJob.snapshotId()).hasSize(64);
            assertThat(browser.text("#model-list tr[data-model-id='" + hkd.id() + "']"))
                    .contains(hkd.modelId(), hkd.snapshotId().substring(0, 12));

            // compare side by side: hkd first (ticked first in the table is the newer one, baseline)
            browser.click("#model-list tr[data-model-id='" + baseline.id() + "'] .model-pick");
            browser.click("#model-list tr[data-model-id='" + hkd.id() + "'] .model-pick");
            browser.click("#models-compare");
            browser.waitFor("document.getElementById('compare-table')", WAIT);
            String table = browser.text("#compare-table");
            assertThat(table).contains(baseline.modelId(), hkd.modelId(), hkd.snapshotId());
            double a = Json.MAPPER.readTree(baseline.metrics()).at("/accuracy/estimate").asDouble();
            double b = Json.MAPPER.readTree(hkd.metrics()).at("/accuracy/estimate").asDouble();
            // the page compares in table order (baseline first): the difference is hkd's minus baseline's
            String expected = (b - a >= 0 ? "+" : "") + String.format(Locale.ROOT, "%.3f", b - a);
            assertThat(browser.text("#compare-table tr[data-metric=accuracy] td:last-child")).isEqualTo(expected);
            assertThat(browser.text("#compare-table tr[data-metric=accuracy] td:nth-child(2)"))
                    .startsWith(String.format(Locale.ROOT, "%.3f", a));

            // promote the HKD model: the registry serves it, the row says so and loses its button
            browser.click("#model-list tr[data-model-id='" + hkd.id() + "'] .model-promote");
            browser.waitFor("document.querySelector(\"#model-list tr[data-model-id='" + hkd.id() + "']\").classList.contains('promoted')", WAIT);
            assertThat(training.promoted()).map(RegisteredModel::id).contains(hkd.id());
            assertThat(browser.text("#model-list tr[data-model-id='" + hkd.id() + "'] .served")).isEqualTo("★ served");
            browser.screenshot(Path.of("target/browser/studio-models.png"));

            // a study from the page: baseline against HKD on the same snapshot, one seed; its report, no model
            choose(browser, "study", "tiny_cnn", 32, 1);
            browser.waitFor("!document.getElementById('job-seeds-label').hidden", WAIT);
            browser.evaluate("(() => { const e = document.getElementById('job-seeds'); e.value = '1'; return true; })()");
            browser.click("#job-start");
            browser.waitFor("document.querySelector('#job-list tbody tr:first-child').dataset.state === 'done'"
                    + " && document.querySelector('#job-list tbody tr:first-child .job-report')", WAIT);
            long study = browser.evaluate("Number(document.querySelector('#job-list tbody tr:first-child').dataset.jobId)").asLong();
            Job studyJob = training.job(study).orElseThrow();
            assertThat(studyJob.kind()).isEqualTo("study");
            assertThat(Json.MAPPER.readTree(studyJob.settings()).path("seeds").asInt()).isEqualTo(1);
            assertThat(browser.text("#job-list tr[data-job-id='" + study + "']")).contains("study", "tiny_cnn, 32 px, 1 epoch, 1 seed");
            assertThat(browser.evaluate("document.querySelector(\"#job-list tr[data-job-id='" + study + "'] .job-report\").getAttribute('href')")
                    .asText()).isEqualTo("/api/jobs/" + study + "/report");
            JsonNode report = browser.evaluate("fetch('/api/jobs/" + study + "/report').then(async r => ({status: r.status, "
                    + "type: r.headers.get('Content-Type'), policy: r.headers.get('Content-Security-Policy'), text: await r.text()}))");
            assertThat(report.path("status").asInt()).isEqualTo(200);
            assertThat(report.path("type").asText()).startsWith("text/html");
            assertThat(report.path("policy").asText()).contains("default-src 'none'").doesNotContain("script-src");
            assertThat(report.path("text").asText()).contains("<title>PneuKnow study studio job " + study + ": baseline and hkd");
            assertThat(browser.evaluate("fetch('/api/jobs/" + longJob + "/report').then(r => r.status)").asInt())
                    .as("a training job has no report").isEqualTo(404);
            assertThat(training.models()).as("a study registers no model").hasSize(2);

            JsonNode problems = browser.evaluate("JSON.stringify(window.__problems)");
            assertThat(problems.asText()).isEqualTo("[]");
            assertThat(training.job(longJob).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
        }
    }

    /** Fills the job form as a user picks: method, architecture, input size, epochs. */
    private static void choose(Browser browser, String method, String architecture, int inputSize, int epochs) {
        browser.evaluate("(() => { const set = (id, v) => { const e = document.getElementById(id); e.value = v; "
                + "e.dispatchEvent(new Event('change', {bubbles: true})); }; set('job-method', '" + method + "'); "
                + "set('job-architecture', '" + architecture + "'); set('job-input-size', '" + inputSize + "'); "
                + "set('job-epochs', '" + epochs + "'); return true; })()");
    }

    private static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
    }
}
