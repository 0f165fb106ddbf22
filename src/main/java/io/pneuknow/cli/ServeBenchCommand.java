package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.bench.ServeLoad;
import io.pneuknow.bench.ServeSoak;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.train.EngineThreads;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pneuknow serve-bench}: throughput and latency of the HTTP service under concurrent load (docs/benchmarks.md). */
@Command(name = "serve-bench", sortOptions = false, description = {
        "Start the service in-process on a free port with a model and fire concurrent uploads at POST /v1/predict and "
                + "POST /v1/explain?format=json; prints requests per second and p50/p95 latency per route, failures, and "
                + "answers that differ for the same image. With --soak: a bounded soak run of 'pneuknow serve' in a child "
                + "JVM under mixed good, broken, oversized and slow traffic, killed with SIGKILL and restarted half way. "
                + "See docs/benchmarks.md."})
final class ServeBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory written by 'pneuknow train --out'.")
    Path model;

    @Option(names = "--requests", defaultValue = "500", description = "Timed requests per route (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--concurrency", defaultValue = "8", description = "Client threads sending at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--workers", defaultValue = "2", description = "Copies of the model serving in parallel, as serve --workers (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--threads", description = "Engine threads (default: all cores).")
    Integer threads;

    @Option(names = "--image", description = "An image to send (repeatable; default: 8 synthetic images at the model's input size).")
    List<Path> images;

    @Option(names = "--soak", description = "Run the soak instead (issue 19): 'serve' in a child JVM in the soak "
            + "configuration, mixed load for --minutes, kill -9 and restart half way; writes the audit log, rss.csv, "
            + "rss.svg/rss.png and summary.md/json to --out. --requests, --concurrency, --workers, --threads and "
            + "--image do not apply.")
    boolean soak;

    @Option(names = "--minutes", defaultValue = "30", description = "Length of the soak in minutes (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--out", defaultValue = "soak-out", description = "Folder the soak writes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (soak) {
            return soak();
        }
        if (requests < 1 || concurrency < 1 || workers < 1) {
            throw new BadInputException("--requests, --concurrency and --workers must be at least 1; got " + requests
                    + ", " + concurrency + ", " + workers);
        }
        int size = ModelBundle.readCard(model).preprocessing().inputSize();
        EngineThreads.set(threads == null ? 0 : threads);
        Path work = Files.createTempDirectory("pneuknow-serve-bench");
        try {
            List<byte[]> bytes = new ArrayList<>();
            if (images == null || images.isEmpty()) {
                bytes.addAll(ServeLoad.syntheticImages(work, size, 8));
            } else {
                for (Path image : images) {
                    if (!Files.isRegularFile(image)) {
                        throw new BadInputException(image + ": image file not found; check the path given to --image");
                    }
                    bytes.add(Files.readAllBytes(image));
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("load average before: %s; %d cores; %d workers; %d images%n", loadAverage(),
                    Runtime.getRuntime().availableProcessors(), workers, bytes.size());
            out.flush();
            List<ServeLoad.Result> results = ServeLoad.run(model, workers, bytes, requests, concurrency);
            out.print(ServeLoad.table(results));
            out.printf("load average after: %s%n", loadAverage());
            for (ServeLoad.Result r : results) {
                if (r.firstFailure() != null) {
                    out.printf("first failure on %s: %s%n", r.route(), r.firstFailure());
                }
            }
            out.flush();
            return results.stream().allMatch(r -> r.failures() == 0 && r.inconsistent() == 0)
                    ? CommandLines.OK : CommandLines.INTERNAL_ERROR;
        } finally {
            try (Stream<Path> paths = Files.walk(work)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Integer soak() throws IOException {
        if (!(minutes > 0) || minutes > 24 * 60) {
            throw new BadInputException("--minutes must be above 0 and at most 1440; got " + minutes);
        }
        ModelBundle.readCard(model); // a clear error for a folder that is not a model, before anything starts
        PrintWriter w = spec.commandLine().getOut();
        w.printf("load average before: %s; %d cores%n", loadAverage(), Runtime.getRuntime().availableProcessors());
        w.flush();
        ServeSoak.Summary summary;
        try {
            summary = ServeSoak.run(new ServeSoak.Settings(model, Duration.ofMillis(Math.round(minutes * 60_000)), out,
                    Duration.ofSeconds(minutes >= 5 ? 5 : 1)), w);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        w.print(ServeSoak.markdown(summary));
        w.printf("load average after: %s; files in %s%n", loadAverage(), out);
        w.flush();
        return summary.passed() ? CommandLines.OK : CommandLines.INTERNAL_ERROR;
    }

    /** The 1, 5 and 15 minute load averages of /proc/loadavg; "unknown" elsewhere. */
    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
