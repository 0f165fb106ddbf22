package io.pneuknow.spark;

import io.pneuknow.BadInputException;
import io.pneuknow.experiment.CellResult;
import io.pneuknow.experiment.StudyConfig;
import io.pneuknow.experiment.StudyRunner;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A study on Spark: the driver plans it (as {@code pneuknow experiment} does), sends every cell
 * without a cell.json as a task of its own, and writes the tables once every cell is finished. A
 * cell trains in a child JVM with the study's {@code train.threads} engine threads, so its numbers
 * are those of a single-machine run at the same threads and batch size; Spark reserves as many
 * cores for it ({@code spark.task.cpus}, set from the study when not given). The study folder and
 * the data must be visible at the same paths to the driver and every executor.
 */
public final class SparkStudy {
    private SparkStudy() {
    }

    /** How a run ended: the cells, how many trained now, and the cells that failed past Spark's retries (with their errors). */
    public record Outcome(int cells, int trainedNow, List<CellTask.Outcome> failed) {
        public boolean complete() {
            return failed.isEmpty();
        }
    }

    /**
     * Runs (or resumes) the study in {@code dir} on the given Spark context.
     *
     * @param heap the child JVMs' maximum heap (e.g. 4g); null for the JVM's default
     */
    public static Outcome run(JavaSparkContext sc, StudyConfig config, Path dir, String heap, PrintStream log)
            throws IOException {
        int threads = config.train().threads();
        if (threads < 1) {
            throw new BadInputException("train.threads is " + threads + " (all cores); on Spark give each cell a fixed"
                    + " number of engine threads (train.threads, e.g. 1 or 4): Spark reserves that many cores per task, and"
                    + " results repeat only at the same thread count");
        }
        int taskCpus = sc.getConf().getInt("spark.task.cpus", 1);
        if (taskCpus != threads) {
            log.printf(Locale.ROOT, "warning: spark.task.cpus is %d but each cell uses %d engine threads (train.threads)%n",
                    taskCpus, threads);
        }
        Path study = dir.toAbsolutePath();
        StudyRunner.Study plan = StudyRunner.plan(config, study, log);
        List<StudyRunner.Cell> cells = plan.cells();
        List<String> labels = cells.stream().map(StudyRunner.Cell::label).toList();
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            if (!Files.exists(cells.get(i).dir(study).resolve("cell.json"))) {
                todo.add(i);
            }
        }
        log.printf(Locale.ROOT, "%d cells, %d done earlier, %d to train on %s (%d engine threads each)%n", cells.size(),
                cells.size() - todo.size(), todo.size(), sc.master(), threads);
        List<CellTask.Outcome> failed = new ArrayList<>();
        if (!todo.isEmpty()) {
            CellTask task = new CellTask(study, labels, maxTaskFailures(sc), threads, heap);
            sc.setJobDescription("pneuknow study " + (config.name() == null ? study.getFileName() : config.name()));
            // one cell per partition, so each is a task of its own, retried on its own
            List<CellTask.Outcome> outcomes = sc.parallelize(todo, todo.size()).map(task::run).collect();
            for (CellTask.Outcome o : outcomes) {
                if (o.error() != null) {
                    failed.add(o);
                    log.printf(Locale.ROOT, "cell %s: failed after %d attempts: %s%n", o.label(), o.attempts(), o.error());
                } else {
                    log.printf(Locale.ROOT, "cell %s: done in %.0f s (%d attempts)%n", o.label(), o.seconds(), o.attempts());
                }
            }
        }
        if (!failed.isEmpty()) {
            log.printf(Locale.ROOT, "%d of %d cells failed; the others are finished. Run the same command again to retry"
                    + " them (finished cells are not trained again); no tables were written%n", failed.size(), cells.size());
            return new Outcome(cells.size(), todo.size() - failed.size(), failed);
        }
        List<CellResult> results = new ArrayList<>();
        for (StudyRunner.Cell cell : cells) {
            results.add(StudyRunner.runCell(plan, cell, log)); // reads each cell.json
        }
        StudyRunner.finish(plan, results);
        log.printf("wrote %s and %s%n", study.resolve("summary.md"), study.resolve("summary.json"));
        return new Outcome(cells.size(), todo.size(), failed);
    }

    private static final Pattern LOCAL_WITH_FAILURES = Pattern.compile("local\\[\\s*(?:\\d+|\\*)\\s*,\\s*(\\d+)\\s*\\]");

    /**
     * The attempts Spark gives a task: in local mode 1, or F for {@code local[N,F]}; on a cluster
     * spark.task.maxFailures (default 4).
     */
    static int maxTaskFailures(JavaSparkContext sc) {
        String master = sc.master();
        Matcher m = LOCAL_WITH_FAILURES.matcher(master);
        if (m.matches()) {
            return Integer.parseInt(m.group(1));
        }
        if (master.startsWith("local")) {
            return 1;
        }
        return sc.getConf().getInt("spark.task.maxFailures", 4);
    }
}
