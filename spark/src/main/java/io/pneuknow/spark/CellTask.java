package io.pneuknow.spark;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.TaskContext;

/**
 * What one Spark task of a study does: trains one cell in a child JVM (see {@link CellMain}) whose
 * output goes to STUDY/logs/. A failure is thrown, so Spark retries the task; on the last attempt
 * Spark allows it is returned instead, so the job (and the other cells) goes on and the driver
 * reports it.
 *
 * <p>Fault injection for tests and drills: the system property {@value #FAIL_PROPERTY} or the
 * environment variable {@value #FAIL_ENV} naming a cell's label (e.g. {@code tiny_cnn hkd fold 1
 * seed 1}) makes that cell's first attempt fail before it starts.
 */
public final class CellTask implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String FAIL_PROPERTY = "pneuknow.spark.failCell";
    public static final String FAIL_ENV = "PNEUKNOW_SPARK_FAIL_CELL";

    /** A task's outcome: error null when the cell finished. */
    public record Outcome(int index, String label, String error, int attempts, double seconds) implements Serializable {
    }

    private final String study;
    private final List<String> labels;
    private final int maxFailures;
    private final int threads;
    private final String heap;

    CellTask(Path study, List<String> labels, int maxFailures, int threads, String heap) {
        this.study = study.toAbsolutePath().toString();
        this.labels = List.copyOf(labels);
        this.maxFailures = maxFailures;
        this.threads = threads;
        this.heap = heap;
    }

    Outcome run(int index) throws Exception {
        TaskContext context = TaskContext.get();
        int attempt = context == null ? 0 : context.attemptNumber();
        String label = labels.get(index);
        long start = System.nanoTime();
        try {
            String fail = System.getProperty(FAIL_PROPERTY, System.getenv(FAIL_ENV));
            if (label.equals(fail) && attempt == 0) {
                throw new IllegalStateException("cell " + label + ": fault injected on its first attempt (" + FAIL_PROPERTY + ")");
            }
            trainInChild(index, label, attempt);
            return new Outcome(index, label, null, attempt + 1, (System.nanoTime() - start) / 1e9);
        } catch (Exception e) {
            if (attempt + 1 >= maxFailures) {
                return new Outcome(index, label, String.valueOf(e.getMessage()), attempt + 1, (System.nanoTime() - start) / 1e9);
            }
            throw e;
        }
    }

    private void trainInChild(int index, String label, int attempt) throws IOException, InterruptedException {
        Path dir = Path.of(study);
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(String.format(Locale.ROOT, "cell-%03d-%s.attempt-%d.log", index,
                label.replaceAll("[^A-Za-z0-9._+-]+", "_"), attempt));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (heap != null && !heap.isBlank()) {
            command.add("-Xmx" + heap);
        }
        command.add("-Dai.djl.offline=true");
        // the cell stops when this process ends, however it ends (its standard input is a pipe from here)
        command.add("-D" + CellMain.STOP_WITH_PARENT + "=true");
        command.add("-cp");
        command.add(classPath());
        command.add(CellMain.class.getName());
        command.add(study);
        command.add(Integer.toString(index));
        command.add(label);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        builder.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        String gpus = gpuAddresses();
        if (gpus != null) {
            // the GPU(s) Spark gave this task (spark.task.resource.gpu.amount): the only ones the cell sees
            builder.environment().put("CUDA_VISIBLE_DEVICES", gpus);
        }
        Process process = builder.start();
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            // the task was killed (job cancelled): so is the cell; its checkpoints let it resume
            process.destroyForcibly();
            throw e;
        }
        if (code != 0) {
            List<String> lines = Files.readAllLines(log);
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
            throw new IllegalStateException("cell " + label + ": its process exited with " + code + " (log " + log
                    + "); last lines:\n" + tail);
        }
    }

    /** The addresses of the GPUs Spark assigned to this task, comma-separated; null when none (no GPU scheduling). */
    static String gpuAddresses() {
        TaskContext context = TaskContext.get();
        if (context == null) {
            return null;
        }
        scala.Option<org.apache.spark.resource.ResourceInformation> gpu = context.resources().get("gpu");
        return gpu.isDefined() && gpu.get().addresses().length > 0 ? String.join(",", gpu.get().addresses()) : null;
    }

    /** This JVM's class path: java.class.path and the jars Spark added to the task's class loaders (--jars). */
    static String classPath() {
        Set<String> entries = new LinkedHashSet<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        for (ClassLoader l = Thread.currentThread().getContextClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader urls) {
                for (URL url : urls.getURLs()) {
                    if ("file".equals(url.getProtocol())) {
                        try {
                            entries.add(Path.of(url.toURI()).toString());
                        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                            // not a plain file: not for a class path
                        }
                    }
                }
            }
        }
        entries.remove("");
        return String.join(File.pathSeparator, entries);
    }
}
