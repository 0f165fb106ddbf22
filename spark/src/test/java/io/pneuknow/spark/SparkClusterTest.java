package io.pneuknow.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.Json;
import io.pneuknow.cli.Main;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.experiment.StudyConfig;
import io.pneuknow.experiment.StudyRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster drill: a study and a batch prediction submitted with spark-submit to a standalone cluster
 * of separate processes (spark/cluster: a master and two workers on 127.0.0.1, each worker one core).
 * While both workers train cells, one worker is killed (SIGKILL); its executor and the cell JVM that
 * executor started must end with it, and the killed cell must not finish. The study goes on on the other
 * worker; then its driver is killed while a cell trains and the study is submitted again. In the end
 * every cell has been trained to completion exactly once (counted from the cell logs of every attempt),
 * the tables equal a single-machine run's, and the cluster's predictions equal the core's {@code predict}.
 *
 * <p>In the suite the cells are tiny (tiny_cnn at 64 px, 2 epochs, 2 folds x baseline and HKD: 4 cells of
 * several seconds). The longer drill of docs/scale-out.md is the same test with longer cells:
 * {@code -Dpneuknow.drill.epochs=6 -Dpneuknow.drill.seeds=1,2,3}. Its timeline and all logs (drivers,
 * master, workers, executors, cells) are kept in target/cluster-drill/.
 */
class SparkClusterTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final Duration LONG = Duration.ofSeconds(240);
    private static final Pattern CELL_PID = Pattern.compile("cell (.+): training in .* \\(pid (\\d+)\\)");

    private final StringBuilder timeline = new StringBuilder();
    private final long started = System.nanoTime();

    @Test
    void aStudySurvivesALostWorkerAndAKilledDriverAndPredictionMatchesTheSingleMachine(@TempDir Path dir) throws Exception {
        int epochs = Integer.getInteger("pneuknow.drill.epochs", 2);
        String seeds = System.getProperty("pneuknow.drill.seeds", "1");
        int cellCount = 2 * 2 * seeds.split(",").length;
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 6, 2, 2, 0.25, 0.7, 4));
        Path studyFile = dir.resolve("study.json");
        Files.writeString(studyFile, """
                {"name": "cluster drill",
                 "data": {"root": "%s", "regionsCsv": "regions.csv", "regionTypes": ["lesion"]},
                 "folds": 3, "foldSeed": 7, "testFolds": [0, 1], "architectures": ["tiny_cnn"],
                 "methods": ["baseline", "hkd"], "seeds": [%s], "replicates": 200,
                 "train": {"model": {"architecture": "tiny_cnn", "inputSize": 64, "channels": 1, "dropout": 0.0},
                           "optimisation": {"epochs": %d, "teacherEpochs": %d, "studentEpochs": %d, "learningRate": 0.001,
                                            "seed": 1, "threads": 1},
                           "augmentation": {"augment": "weak"},
                           "method": {"name": "baseline", "kdEpochs": %d}}}
                """.formatted(data.toAbsolutePath().toString().replace("\\", "\\\\"), seeds, epochs, Math.max(1, epochs / 2),
                epochs, epochs));
        Path home = dir.resolve("spark-home");
        Map<String, String> env = new HashMap<>();
        env.put("SPARK_MASTER_PORT", Integer.toString(freePort()));
        env.put("SPARK_MASTER_WEBUI_PORT", Integer.toString(freePort()));
        env.put("PNEUKNOW_WORKER_WEBUI_PORT", "0");
        env.put("PNEUKNOW_WORKERS", "2");
        String master = "spark://127.0.0.1:" + env.get("SPARK_MASTER_PORT");
        Path study = dir.resolve("study");
        List<Process> drivers = new ArrayList<>();
        int code = run(List.of("bash", "cluster", "start", home.toString()), env, dir.resolve("cluster-start.log"));
        try {
            assertThat(code).as(Files.readString(dir.resolve("cluster-start.log"))).isZero();
            note("cluster started: a master and 2 workers (1 core each)");
            ProcessHandle worker1 = daemon(home, "worker-1");
            ProcessHandle worker2 = daemon(home, "worker-2");

            // 1. submit; once both workers train a cell, kill worker 2 (SIGKILL): its executor and cell JVM end with it
            Process driver = submit(home, master, dir.resolve("submit-1.log"), "experiment", "--config", studyFile.toString(),
                    "--out", study.toString(), "--cell-heap", "1g");
            drivers.add(driver);
            note("study submitted (" + cellCount + " cells)");
            waitUntil(() -> !training(worker1, study).isEmpty() && !training(worker2, study).isEmpty(),
                    "both workers train a cell", driver);
            List<ProcessHandle> lost = worker2.descendants().toList();
            ProcessHandle lostCell = training(worker2, study).get(0);
            String lostLabel = labelOf(lostCell);
            note("both workers train a cell; killing worker 2 (pid " + worker2.pid() + ", SIGKILL) with cell " + lostLabel
                    + " (pid " + lostCell.pid() + ") training below its executor");
            worker2.destroyForcibly();
            waitUntil(() -> lost.stream().noneMatch(ProcessHandle::isAlive) && !worker2.isAlive(),
                    "worker 2, its executor and its cell JVM end", null);
            note("worker 2's executor and cell JVM are gone (pids " + lost.stream().map(p -> Long.toString(p.pid())).toList() + ")");
            Path lostCellJson = cellDir(study, lostLabel).resolve("cell.json");
            assertThat(lostCellJson).as("the killed cell did not finish").doesNotExist();
            String lostLog = logOf(study, lostLabel, lostCell.pid());
            assertThat(lostLog).contains("is gone; stopping without finishing the cell").doesNotContain(": done");

            // 2. the study goes on on worker 1, where Spark retries the lost cell; once that finished and worker 1 trains
            // a cell that is not finished yet, kill the driver
            waitUntil(() -> Files.exists(lostCellJson) && !unfinished(training(worker1, study), study).isEmpty(),
                    "worker 1 finishes the lost cell and trains another", driver);
            try (Stream<Path> logs = Files.list(study.resolve("logs"))) {
                // Spark's second attempt of the lost cell's task (the first one does not count: its executor was lost)
                assertThat(logs.map(p -> p.getFileName().toString())
                        .filter(n -> n.contains(lostLabel.replace(' ', '_') + ".attempt-1.log")).toList()).hasSize(1);
            }
            List<ProcessHandle> executor1 = worker1.descendants().toList();
            List<ProcessHandle> running = unfinished(training(worker1, study), study);
            note(finishedCells(study) + " cells finished, " + lostLabel + " among them; killing the driver (SIGKILL) while worker 1 trains "
                    + running.stream().map(SparkClusterTest::labelOf).toList());
            driver.destroyForcibly().waitFor();
            waitUntil(() -> executor1.stream().noneMatch(ProcessHandle::isAlive), "worker 1's executor and cell JVM end", null);
            assertThat(worker1.isAlive()).isTrue();
            note("worker 1's executor and cell JVM are gone (pids " + executor1.stream().map(p -> Long.toString(p.pid())).toList()
                    + "); worker 1 stays");
            for (ProcessHandle cell : running) {
                String label = labelOf(cell);
                if (label != null) {
                    assertThat(cellDir(study, label).resolve("cell.json")).doesNotExist();
                }
            }
            int finishedAtDriverKill = finishedCells(study);

            // 3. submitted again: resumes, the finished cells are not trained again
            Process again = submit(home, master, dir.resolve("submit-2.log"), "experiment", "--config", studyFile.toString(),
                    "--out", study.toString(), "--cell-heap", "1g");
            drivers.add(again);
            note("study submitted again");
            assertThat(again.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).as("the second submission ends").isTrue();
            String second = Files.readString(dir.resolve("submit-2.log"));
            assertThat(again.exitValue()).as(second).isZero();
            assertThat(second).contains(cellCount + " cells, " + finishedAtDriverKill + " done earlier, "
                    + (cellCount - finishedAtDriverKill)
                    + " to train on " + master);
            // every cell trained to completion exactly once, over all attempts of both submissions
            Map<String, Integer> completions = completions(study);
            assertThat(completions).hasSize(cellCount).allSatisfy((label, n) -> assertThat(n).as(label).isEqualTo(1));
            assertThat(lostCellJson).exists();
            note("the second submission ended: every cell trained to completion once");

            // 4. the tables of a single-machine run (all but the cells' wall time)
            StudyRunner.run(StudyConfig.read(studyFile), dir.resolve("single"), QUIET);
            note("single-machine run of the study done (in the test's JVM)");
            assertThat(withoutMinutes(Json.MAPPER.readTree(study.resolve("summary.json").toFile())))
                    .isEqualTo(withoutMinutes(Json.MAPPER.readTree(dir.resolve("single/summary.json").toFile())));

            // 5. batch prediction on the cluster (worker 1 only now) against the core's predict
            Path model = study.resolve("cells/tiny_cnn/baseline/fold-0/seed-1");
            Path list = dir.resolve("list.csv");
            StringBuilder csv = new StringBuilder("path\n");
            try (Stream<Path> images = Files.list(data.resolve("images"))) {
                images.filter(p -> p.toString().endsWith(".png")).sorted().forEach(p -> csv.append(p.toAbsolutePath()).append('\n'));
            }
            Files.writeString(list, csv);
            Process predict = submit(home, master, dir.resolve("predict.log"), "predict", "--model", model.toString(), "--list",
                    list.toString(), "--out", dir.resolve("cluster-preds").toString(), "--partitions", "2", "--threads", "1");
            drivers.add(predict);
            note("prediction submitted (30 images, 2 partitions)");
            assertThat(predict.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(predict.exitValue()).as(Files.readString(dir.resolve("predict.log"))).isZero();
            StringWriter err = new StringWriter();
            int single = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "predict", "--model",
                    model.toString(), "--list", list.toString(), "--out", dir.resolve("single-preds").toString(), "--threads", "1");
            assertThat(single).as(err.toString()).isZero();
            note("cluster prediction ended; single-machine predict done");
            Map<String, List<String>> expected = rowsByImage(dir.resolve("single-preds/predictions.csv"), "image");
            Map<String, List<String>> actual = rowsByImage(onlyCsvPart(dir.resolve("cluster-preds/predictions-csv")), "path");
            assertThat(actual.keySet()).hasSize(30).isEqualTo(expected.keySet());
            List<String> singleHeader = header(dir.resolve("single-preds/predictions.csv"));
            List<String> clusterHeader = header(onlyCsvPart(dir.resolve("cluster-preds/predictions-csv")));
            for (String image : expected.keySet()) {
                List<String> e = expected.get(image);
                List<String> a = actual.get(image);
                assertThat(a.get(clusterHeader.indexOf("label"))).as(image).isEqualTo(e.get(singleHeader.indexOf("label")));
                for (String column : singleHeader.stream().filter(c -> c.startsWith("p_")).toList()) {
                    assertThat(Double.parseDouble(a.get(clusterHeader.indexOf(column))))
                            .as(image + " " + column).isCloseTo(Double.parseDouble(e.get(singleHeader.indexOf(column))), within(1e-6));
                }
            }
        } finally {
            for (Process d : drivers) {
                d.destroyForcibly();
            }
            run(List.of("bash", "cluster", "stop", home.toString()), env, dir.resolve("cluster-stop.log"));
            keepLogs(dir, home, study);
            Files.writeString(Path.of("target/cluster-drill/timeline.txt"), timeline);
        }
    }

    /** A line of the drill's timeline (seconds since the test started). */
    private void note(String what) {
        timeline.append(String.format(java.util.Locale.ROOT, "%6.1f s  %s%n", (System.nanoTime() - started) / 1e9, what));
    }

    /** The drill's logs (drivers, master, workers, executors, cells) kept in target/cluster-drill for reading. */
    private static void keepLogs(Path dir, Path home, Path study) throws IOException {
        Path keep = Path.of("target/cluster-drill");
        if (Files.isDirectory(keep)) {
            try (Stream<Path> old = Files.walk(keep)) {
                for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(keep);
        Map<String, Path> from = Map.of("drivers", dir, "daemons", home.resolve("logs"), "executors", home.resolve("work"),
                "cells", study.resolve("logs"));
        for (Map.Entry<String, Path> e : from.entrySet()) {
            if (!Files.isDirectory(e.getValue())) {
                continue;
            }
            int depth = e.getKey().equals("drivers") ? 1 : Integer.MAX_VALUE;
            try (Stream<Path> files = Files.walk(e.getValue(), depth)) {
                for (Path f : files.filter(p -> Files.isRegularFile(p) && (p.toString().endsWith(".log")
                        || p.toString().endsWith(".out") || p.getFileName().toString().equals("stderr"))).toList()) {
                    Path to = keep.resolve(e.getKey()).resolve(e.getValue().relativize(f).toString());
                    Files.createDirectories(to.getParent());
                    Files.copy(f, to);
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static int run(List<String> command, Map<String, String> env, Path log) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        if (!p.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not end in " + LONG.toSeconds() + " s");
        }
        return p.exitValue();
    }

    private static ProcessHandle daemon(Path home, String name) throws IOException {
        long pid = Long.parseLong(Files.readString(home.resolve("run").resolve(name + ".pid")).trim());
        return ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(name + " (pid " + pid + ") is not running"));
    }

    /** spark-submit of the cluster's Spark home, as docs/scale-out.md shows it, with this build's jars. */
    private static Process submit(Path home, String master, Path log, String... args) throws IOException {
        Path appJar = appJar(log.getParent());
        String jars;
        try (Stream<Path> lib = Files.list(Path.of("target/lib"))) {
            jars = String.join(",", lib.filter(p -> p.toString().endsWith(".jar")).map(p -> p.toAbsolutePath().toString())
                    .sorted().toList());
        }
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/spark-submit").toString(), "--master", master,
                "--deploy-mode", "client", "--class", io.pneuknow.spark.Main.class.getName(),
                "--jars", jars, "--conf", "spark.executor.cores=1", "--conf", "spark.task.cpus=1",
                "--conf", "spark.executor.memory=512m", "--conf", "spark.task.maxFailures=3",
                "--conf", "spark.executorEnv.OMP_WAIT_POLICY=PASSIVE", appJar.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** This module's classes as the application jar (what target/pneuknow-spark.jar is after packaging). */
    private static Path appJar(Path dir) throws IOException {
        Path jar = dir.resolve("pneuknow-spark.jar");
        if (Files.exists(jar)) {
            return jar;
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        Path classes = Path.of("target/classes");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /** The cell JVMs below a process (a worker: its executor's children). */
    private static List<ProcessHandle> cells(ProcessHandle root) {
        return root.descendants().filter(p -> arguments(p).contains(CellMain.class.getName())).toList();
    }

    /** The cell JVMs below a process that are training: their logs name their pid. */
    private static List<ProcessHandle> training(ProcessHandle root, Path study) {
        List<ProcessHandle> cells = cells(root);
        if (cells.isEmpty() || !Files.isDirectory(study.resolve("logs"))) {
            return List.of();
        }
        List<Long> started = new ArrayList<>();
        try (Stream<Path> logs = Files.list(study.resolve("logs"))) {
            for (Path log : logs.toList()) {
                for (String line : Files.readAllLines(log)) {
                    Matcher m = CELL_PID.matcher(line);
                    if (m.matches()) {
                        started.add(Long.parseLong(m.group(2)));
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(); // a log being written: look again next time
        }
        return cells.stream().filter(c -> started.contains(c.pid())).toList();
    }

    /** The cell JVMs whose cell has no cell.json yet (one that wrote it may still be ending). */
    private static List<ProcessHandle> unfinished(List<ProcessHandle> cells, Path study) {
        return cells.stream().filter(c -> {
            String label = labelOf(c);
            return label != null && !Files.exists(cellDir(study, label).resolve("cell.json"));
        }).toList();
    }

    /**
     * A process's command line from /proc (ProcessHandle.Info reads only its first page, and a cell's
     * class path is longer than that); empty when the process is gone.
     */
    private static List<String> arguments(ProcessHandle p) {
        try {
            return List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The label of the cell a cell JVM trains (its last argument). */
    private static String labelOf(ProcessHandle cell) {
        List<String> args = arguments(cell);
        return args.isEmpty() ? null : args.get(args.size() - 1);
    }

    private static int finishedCells(Path study) {
        Path cells = study.resolve("cells");
        if (!Files.isDirectory(cells)) {
            return 0;
        }
        try (Stream<Path> walk = Files.walk(cells)) {
            return (int) walk.filter(p -> p.getFileName().toString().equals("cell.json")).count();
        } catch (IOException e) {
            return 0; // a folder changed while walked: count again next time
        }
    }

    private static Path cellDir(Path study, String label) {
        String[] parts = label.split(" "); // tiny_cnn hkd fold 1 seed 1
        return study.resolve("cells").resolve(parts[0]).resolve(parts[1]).resolve("fold-" + parts[3]).resolve("seed-" + parts[5]);
    }

    /** The cell log (of any attempt) that the cell JVM with this pid wrote. */
    private static String logOf(Path study, String label, long pid) throws IOException {
        try (Stream<Path> logs = Files.list(study.resolve("logs"))) {
            for (Path log : logs.toList()) {
                String text = Files.readString(log);
                if (text.contains("cell " + label + ": training in ") && text.contains("(pid " + pid + ")")) {
                    return text;
                }
            }
        }
        throw new AssertionError("no cell log names pid " + pid + " of cell " + label);
    }

    /** How often each cell was trained to completion: its "done" lines over all its attempts' logs. */
    private static Map<String, Integer> completions(Path study) throws IOException {
        Map<String, Integer> done = new HashMap<>();
        try (Stream<Path> logs = Files.list(study.resolve("logs"))) {
            for (Path log : logs.toList()) {
                for (String line : Files.readAllLines(log)) {
                    Matcher started = CELL_PID.matcher(line);
                    if (started.matches()) {
                        done.putIfAbsent(started.group(1), 0);
                    } else if (line.startsWith("cell ") && line.endsWith(": done")) {
                        done.merge(line.substring(5, line.length() - 6), 1, Integer::sum);
                    }
                }
            }
        }
        return done;
    }

    private static void waitUntil(BooleanSupplier condition, String what, Process mustRun) throws InterruptedException {
        long end = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (mustRun != null && !mustRun.isAlive()) {
                throw new AssertionError("waiting until " + what + ": the driver ended (exit " + mustRun.exitValue() + ")");
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("waited " + LONG.toSeconds() + " s until " + what);
            }
            Thread.sleep(100);
        }
    }

    private static JsonNode withoutMinutes(JsonNode summary) {
        for (JsonNode row : summary.get("rows")) {
            ((ObjectNode) row).remove("minutesMean");
        }
        return summary;
    }

    private static Path onlyCsvPart(Path folder) throws IOException {
        try (Stream<Path> parts = Files.list(folder)) {
            List<Path> csv = parts.filter(p -> p.getFileName().toString().startsWith("part-")
                    && p.getFileName().toString().endsWith(".csv")).toList();
            assertThat(csv).hasSize(1);
            return csv.get(0);
        }
    }

    private static List<String> header(Path csv) throws IOException {
        return List.of(Files.readAllLines(csv).get(0).split(",", -1));
    }

    /** A CSV's rows (no quoted commas in these files) keyed by the file name of the image column. */
    private static Map<String, List<String>> rowsByImage(Path csv, String column) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        int at = List.of(lines.get(0).split(",", -1)).indexOf(column);
        Map<String, List<String>> rows = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> cells = List.of(line.split(",", -1));
            rows.put(Path.of(cells.get(at)).getFileName().toString(), cells);
        }
        return rows;
    }
}
