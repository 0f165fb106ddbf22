package io.pneuknow.queue;

import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.report.LineChart;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The simulation's results, computed from its cells: per strategy and round, HKD's test balanced accuracy as the
 * mean over seeds with a 95% t interval ({@code mean ± t(0.975, n-1) sd / sqrt n}, sd with n - 1; none for one
 * seed); the start set (round 0) belongs to every strategy's curve. Written as results.csv (one row per cell),
 * results.json (settings, curves, cells), annotation-queue.svg and summary.md.
 */
public final class SimulationReport {
    static final String CSV = "results.csv";
    static final String JSON = "results.json";
    static final String SVG = "annotation-queue.svg";
    static final String SUMMARY = "summary.md";

    /** One point of a curve: after {@code round} rounds, {@code annotated} images, over {@code seeds} seeds. */
    public record Point(int round, int annotated, int seeds, double mean, double lower, double upper) {
    }

    /** A strategy's curve (or a reference line: one point, at its number of annotated images). */
    public record Curve(String strategy, List<Point> points) {
    }

    /** What results.json holds. */
    public record Results(String task, int trainingImages, int candidates, int start, int perRound, int rounds,
                          List<Long> seeds, String architecture, int inputSize, String interval, List<Curve> curves,
                          Curve reference, Curve allRegions, List<SimulationCell> cells) {
    }

    /** t(0.975, df) for df = 1..30; beyond, 1.96. */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
        2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
        2.048, 2.045, 2.042};

    private SimulationReport() {
    }

    /** The 0.975 quantile of Student's t with {@code df} degrees of freedom (1.96 beyond 30). */
    static double t975(int df) {
        return df < 1 ? Double.NaN : df <= T975.length ? T975[df - 1] : 1.96;
    }

    /** Mean and 95% t interval of the values (bounds NaN for fewer than two). */
    static Point point(int round, int annotated, List<Double> values) {
        int n = values.size();
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        if (n < 2) {
            return new Point(round, annotated, n, mean, Double.NaN, Double.NaN);
        }
        double ss = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
        double half = t975(n - 1) * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
        return new Point(round, annotated, n, mean, mean - half, mean + half);
    }

    /** The curves, one per strategy in the settings' order, from round 0 (the shared start) to the last round. */
    static List<Curve> curves(QueueSimulation.Settings settings, List<SimulationCell> cells) {
        List<Curve> curves = new ArrayList<>();
        for (Strategy strategy : settings.strategies()) {
            List<Point> points = new ArrayList<>();
            for (int round = 0; round <= settings.rounds(); round++) {
                int r = round;
                String name = round == 0 ? QueueSimulation.START : strategy.cliName();
                List<Double> values = cells.stream().filter(c -> c.strategy().equals(name) && c.round() == r)
                        .map(SimulationCell::testBalancedAccuracy).toList();
                points.add(point(round, settings.start() + round * settings.perRound(), values));
            }
            curves.add(new Curve(strategy.cliName(), points));
        }
        return curves;
    }

    static void write(Path out, QueueSimulation.Settings settings, int trainingImages, int candidates,
                      List<SimulationCell> cells) throws IOException {
        List<Curve> curves = curves(settings, cells);
        Curve reference = line(cells, QueueSimulation.referenceName(), 0);
        Curve allRegions = line(cells, QueueSimulation.ALL_REGIONS, candidates);
        String task = settings.data().root().getFileName().toString();
        Results results = new Results(task, trainingImages, candidates, settings.start(), settings.perRound(),
                settings.rounds(), settings.seeds(), settings.train().architecture(), settings.train().inputSize(),
                "95% t interval over seeds: mean ± t(0.975, n-1) sd / sqrt(n)", curves, reference, allRegions, cells);
        AtomicFiles.writeString(out.resolve(JSON), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(results));
        AtomicFiles.writeString(out.resolve(CSV), csv(cells));
        AtomicFiles.writeString(out.resolve(SVG), svg(results));
        AtomicFiles.writeString(out.resolve(SUMMARY), summary(results, settings));
    }

    /** A reference line over the seeds' cells of that name; null when there are none. */
    private static Curve line(List<SimulationCell> cells, String name, int annotated) {
        List<Double> values = cells.stream().filter(c -> c.strategy().equals(name))
                .map(SimulationCell::testBalancedAccuracy).toList();
        return values.isEmpty() ? null : new Curve(name, List.of(point(0, annotated, values)));
    }

    static String csv(List<SimulationCell> cells) {
        StringBuilder s = new StringBuilder("strategy,seed,round,annotated,test_balanced_accuracy,test_accuracy,test_images,"
                + "teacher_training_images,seconds\n");
        for (SimulationCell c : cells) {
            s.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.6f,%.6f,%d,%d,%.1f%n", c.strategy(), c.seed(), c.round(),
                    c.annotated(), c.testBalancedAccuracy(), c.testAccuracy(), c.testImages(), c.teacherTrainingImages(),
                    c.seconds()));
        }
        return s.toString();
    }

    static String svg(Results results) {
        LineChart chart = new LineChart("HKD by annotation strategy: " + results.task() + " (" + results.seeds().size()
                + " seeds, 95% t intervals)", "annotated training images", "test balanced accuracy");
        int xMax = results.start() + results.rounds() * results.perRound();
        for (Curve curve : results.curves()) {
            chart.series(curve.strategy(), curve.points().stream().mapToDouble(Point::annotated).toArray(),
                    curve.points().stream().mapToDouble(Point::mean).toArray(),
                    curve.points().stream().mapToDouble(Point::lower).toArray(),
                    curve.points().stream().mapToDouble(Point::upper).toArray());
        }
        double[] x = {results.start(), xMax};
        if (results.reference() != null) {
            Point p = results.reference().points().get(0);
            chart.series(results.reference().strategy() + ", no regions", x, new double[] {p.mean(), p.mean()},
                    new double[] {p.lower(), p.lower()}, new double[] {p.upper(), p.upper()});
        }
        if (results.allRegions() != null) {
            Point p = results.allRegions().points().get(0);
            chart.series("HKD, all " + p.annotated() + " candidates annotated", x, new double[] {p.mean(), p.mean()},
                    new double[] {p.lower(), p.lower()}, new double[] {p.upper(), p.upper()});
        }
        // a file of its own, not inline in a page: it names its namespace
        return chart.xRange(0, xMax).markers(true).svg().replaceFirst("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ");
    }

    static String summary(Results results, QueueSimulation.Settings settings) {
        int last = settings.rounds();
        List<Curve> byFinal = new ArrayList<>(results.curves());
        byFinal.sort(Comparator.comparingDouble((Curve c) -> -c.points().get(last).mean()));
        Map<String, String> finals = new LinkedHashMap<>();
        byFinal.forEach(c -> finals.put(c.strategy(), withInterval(c.points().get(last))));
        Point start = results.curves().get(0).points().get(0);
        StringBuilder s = new StringBuilder("# Annotation queue simulation: ").append(results.task()).append("\n\n");
        s.append(String.format(Locale.ROOT, "HKD (%s, %d px) on %s: %d training images, %d of them candidates (not of the"
                        + " no-finding class); every seed starts from the same %d randomly drawn annotated images (test"
                        + " balanced accuracy %s), then each strategy reveals the true regions of %d more per round for %d"
                        + " round%s. After %d annotated images, by mean over %d seed(s): %s.", results.architecture(),
                results.inputSize(), results.task(), results.trainingImages(), results.candidates(), results.start(),
                withInterval(start), results.perRound(), last, last == 1 ? "" : "s",
                results.start() + last * results.perRound(),
                results.seeds().size(), String.join("; ", finals.entrySet().stream()
                        .map(e -> e.getKey() + " " + e.getValue()).toList())));
        if (results.reference() != null) {
            s.append(String.format(Locale.ROOT, " The %s method without any regions: %s.",
                    results.reference().strategy(), withInterval(results.reference().points().get(0))));
        }
        if (results.allRegions() != null) {
            s.append(String.format(Locale.ROOT, " HKD with all %d candidates annotated: %s.",
                    results.allRegions().points().get(0).annotated(), withInterval(results.allRegions().points().get(0))));
        }
        s.append(results.seeds().size() < 2 ? " One seed: no intervals, and no strategy is separated from another.\n\n"
                : " Intervals are 95% t intervals over seeds; where they overlap, this simulation does not separate the"
                + " strategies.\n\n");
        s.append("| strategy |");
        results.curves().get(0).points().forEach(p -> s.append(' ').append(p.annotated()).append(" |"));
        s.append("\n|---|");
        results.curves().get(0).points().forEach(p -> s.append("---|"));
        s.append('\n');
        for (Curve c : results.curves()) {
            s.append("| ").append(c.strategy()).append(" |");
            c.points().forEach(p -> s.append(' ').append(withInterval(p)).append(" |"));
            s.append('\n');
        }
        return s.toString();
    }

    /** {@code 0.612 [0.580, 0.644]}, or the mean alone without an interval. */
    static String withInterval(Point p) {
        return Double.isNaN(p.lower()) ? String.format(Locale.ROOT, "%.3f", p.mean())
                : String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", p.mean(), p.lower(), p.upper());
    }
}
