package io.pneuknow.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulation on a tiny synthetic task: tiny_cnn at 64 px (at 32 px its last map is 1 x 1, and a batch of one image cannot train BatchNorm), one epoch per stage, two rounds, two seeds. */
class QueueSimulationTest {
    private static final int START = 4;
    private static final int PER_ROUND = 3;
    private static final int ROUNDS = 2;

    private static DataSpec task(Path dir) {
        // 8 training images per class, a quarter of the pathological ones without a region; 2 val, 3 test per class
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 8, 2, 3, 0.25, 0.7, 5));
        return DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion").withSplitColumn("split");
    }

    private static TrainConfig train() {
        return TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(1).teacherEpochs(1)
                .kdEpochs(1).batchSize(8).learningRate(1e-3f).augment("none").roiShape("box").noFindingClass("healthy")
                .unannotated("exclude").threads(2).build();
    }

    private static QueueSimulation.Settings settings(DataSpec spec, int perRound) {
        return new QueueSimulation.Settings(spec, List.of(Strategy.UNCERTAINTY, Strategy.COVERAGE), START, perRound, ROUNDS,
                List.of(1L, 2L), train(), true);
    }

    private static Map<Path, FileTime> times(Path out) throws Exception {
        Map<Path, FileTime> times = new HashMap<>();
        try (Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("cell.json")
                    || f.getFileName().toString().equals("model.params")).toList()) {
                times.put(f, Files.getLastModifiedTime(f));
            }
        }
        return times;
    }

    @Test
    void growsEachStrategysSetByItsRankingFromASharedStartAndResumesWithoutTraining(@TempDir Path dir) throws Exception {
        DataSpec spec = task(dir);
        List<Sample> samples = DatasetLoader.load(spec).samples();
        Map<String, Sample> byId = new HashMap<>();
        samples.forEach(s -> byId.put(s.imageId(), s));
        Set<String> trainIds = new HashSet<>();
        samples.stream().filter(s -> s.attributes().get("split").equals("train")).forEach(s -> trainIds.add(s.imageId()));
        long healthyTrain = samples.stream().filter(s -> trainIds.contains(s.imageId()) && s.className().equals("healthy"))
                .count();
        Path out = dir.resolve("sim");
        ByteArrayOutputStream firstLog = new ByteArrayOutputStream();
        List<SimulationCell> cells = QueueSimulation.run(settings(spec, PER_ROUND), out,
                new PrintStream(firstLog, true, StandardCharsets.UTF_8));

        // per seed: the two reference lines, the shared start, two strategies x two rounds
        assertThat(cells).hasSize(2 * (2 + 1 + 2 * ROUNDS));
        for (long seed : List.of(1L, 2L)) {
            Path seedDir = out.resolve("seed-" + seed);
            SimulationCell start = QueueSimulation.readCell(seedDir.resolve(QueueSimulation.START));
            assertThat(start.annotatedIds()).hasSize(START).doesNotHaveDuplicates();
            SimulationCell reference = QueueSimulation.readCell(seedDir.resolve(QueueSimulation.referenceName()));
            assertThat(reference.annotatedIds()).isEmpty();
            assertThat(reference.teacherTrainingImages()).isZero();
            SimulationCell all = QueueSimulation.readCell(seedDir.resolve(QueueSimulation.ALL_REGIONS));
            assertThat(all.annotatedIds()).hasSize(16).allSatisfy(id -> assertThat(trainIds).contains(id));
            assertThat(all.teacherTrainingImages()).isEqualTo(
                    all.annotatedIds().stream().filter(id -> byId.get(id).annotated()).count() + healthyTrain);
            assertThat(all.teacherTrainingImages()).isLessThan((int) (16 + healthyTrain)); // a quarter have no region
            for (Strategy strategy : List.of(Strategy.UNCERTAINTY, Strategy.COVERAGE)) {
                Path previousDir = seedDir.resolve(QueueSimulation.START);
                SimulationCell previous = start;
                for (int round = 1; round <= ROUNDS; round++) {
                    Path cellDir = seedDir.resolve(strategy.cliName()).resolve("round-" + round);
                    SimulationCell cell = QueueSimulation.readCell(cellDir);
                    // the set grows by exactly per-round images, the earlier set first (so both strategies start from
                    // the same start set)
                    assertThat(cell.annotatedIds()).hasSize(START + round * PER_ROUND).doesNotHaveDuplicates()
                            .startsWith(previous.annotatedIds().toArray(String[]::new));
                    assertThat(cell.picked()).hasSize(PER_ROUND)
                            .isEqualTo(cell.annotatedIds().subList(previous.annotated(), cell.annotated()));
                    // only training images of a class with something to draw: never val or test
                    assertThat(cell.annotatedIds()).allSatisfy(id -> {
                        assertThat(trainIds).contains(id);
                        assertThat(byId.get(id).className()).isNotEqualTo("healthy");
                    });
                    // the picks are the strategy's ranking of the previous cell's stored candidates
                    List<Candidate> stored = QueueSimulation.readCandidates(previousDir);
                    assertThat(stored).extracting(Candidate::imageId).doesNotContainAnyElementsOf(previous.annotatedIds())
                            .hasSize(16 - previous.annotated());
                    assertThat(stored).allSatisfy(c -> {
                        assertThat(c.student()[0] + c.student()[1] + c.student()[2]).isCloseTo(1, within(1e-5));
                        assertThat(c.teacher()[0] + c.teacher()[1] + c.teacher()[2]).isCloseTo(1, within(1e-5));
                    });
                    int[] counts = new int[3];
                    previous.annotatedIds().forEach(id -> counts[byId.get(id).classIndex()]++);
                    assertThat(cell.picked()).isEqualTo(strategy.rank(stored, counts,
                            QueueSimulation.rankingSeed(seed, round)).subList(0, PER_ROUND));
                    // the teacher trained on the annotated images that have a region and the no-finding images only
                    long withRegion = cell.annotatedIds().stream().filter(id -> byId.get(id).annotated()).count();
                    assertThat(cell.teacherTrainingImages()).isEqualTo(withRegion + healthyTrain);
                    Matcher teacher = Pattern.compile("teacher: (\\d+) of (\\d+) training images have an ROI")
                            .matcher(Files.readString(cellDir.resolve("train.log")));
                    assertThat(teacher.find()).isTrue();
                    assertThat(Long.parseLong(teacher.group(1))).isEqualTo(withRegion + healthyTrain);
                    assertThat(cell.testImages()).isEqualTo(9);
                    assertThat(cell.testBalancedAccuracy()).isBetween(0.0, 1.0);
                    previous = cell;
                    previousDir = cellDir;
                }
            }
        }
        // a finished cell keeps its models, not its checkpoints
        assertThat(out.resolve("seed-1/start/model/model.params")).exists();
        assertThat(out.resolve("seed-1/start/model/teacher/model.params")).exists();
        assertThat(out.resolve("seed-1/start/model/checkpoints")).doesNotExist();
        // seeds draw their own start sets
        assertThat(QueueSimulation.readCell(out.resolve("seed-1/start")).annotatedIds())
                .isNotEqualTo(QueueSimulation.readCell(out.resolve("seed-2/start")).annotatedIds());

        // the results: one CSV row per cell, the curve's round-0 point is the start cells' mean with a t(1) interval
        List<String> csv = Files.readAllLines(out.resolve(SimulationReport.CSV));
        assertThat(csv).hasSize(1 + cells.size());
        double a = QueueSimulation.readCell(out.resolve("seed-1/start")).testBalancedAccuracy();
        double b = QueueSimulation.readCell(out.resolve("seed-2/start")).testBalancedAccuracy();
        SimulationReport.Results results = io.pneuknow.Json.MAPPER.readValue(out.resolve(SimulationReport.JSON).toFile(),
                SimulationReport.Results.class);
        SimulationReport.Point round0 = results.curves().get(1).points().get(0);
        assertThat(round0.mean()).isCloseTo((a + b) / 2, within(1e-12));
        assertThat(round0.upper() - round0.mean()).isCloseTo(12.706 * Math.abs(a - b) / Math.sqrt(2) / Math.sqrt(2),
                within(1e-9));
        assertThat(results.curves()).extracting(SimulationReport.Curve::strategy).containsExactly("uncertainty", "coverage");
        assertThat(results.curves().get(0).points()).extracting(SimulationReport.Point::annotated).containsExactly(4, 7, 10);
        assertThat(results.allRegions().points().get(0).annotated()).isEqualTo(16);
        assertThat(results.reference().points().get(0).seeds()).isEqualTo(2);
        assertThat(Files.readString(out.resolve(SimulationReport.SVG))).contains("<svg").contains("data-name=\"coverage\"")
                .contains("class=\"interval\"");
        assertThat(Files.readString(out.resolve(SimulationReport.SUMMARY))).contains("uncertainty").contains("coverage")
                .contains("95% t intervals");

        // a rerun trains nothing: every cell is kept, no file of a cell is written again
        Map<Path, FileTime> before = times(out);
        assertThat(before).hasSize(cells.size() * 2 + 2 * (ROUNDS * 2 + 2)); // + the teachers' model.params
        ByteArrayOutputStream secondLog = new ByteArrayOutputStream();
        List<SimulationCell> again = QueueSimulation.run(settings(spec, PER_ROUND), out,
                new PrintStream(secondLog, true, StandardCharsets.UTF_8));
        assertThat(again).isEqualTo(cells);
        assertThat(times(out)).isEqualTo(before);
        String log = secondLog.toString(StandardCharsets.UTF_8);
        assertThat(log.lines().filter(l -> l.contains("finished before")).count()).isEqualTo(cells.size());
        assertThat(firstLog.toString(StandardCharsets.UTF_8)).doesNotContain("finished before");

        // the folder keeps its settings
        assertThatThrownBy(() -> QueueSimulation.run(settings(spec, PER_ROUND + 1), out, new PrintStream(
                new ByteArrayOutputStream()))).isInstanceOf(BadInputException.class)
                .hasMessageContaining("holds a simulation with other data, start, per-round or training settings");
    }

    @Test
    void onlyTheAnnotatedTrainingImagesKeepTheirRegions(@TempDir Path dir) throws Exception {
        DataSpec spec = task(dir);
        QueueSimulation.Settings settings = settings(spec, PER_ROUND);
        java.lang.reflect.Constructor<QueueSimulation> make = QueueSimulation.class.getDeclaredConstructor(
                QueueSimulation.Settings.class, Path.class, PrintStream.class);
        make.setAccessible(true);
        QueueSimulation simulation = make.newInstance(settings, dir.resolve("sim"), new PrintStream(new ByteArrayOutputStream()));
        List<Sample> all = DatasetLoader.load(spec).samples();
        List<String> annotated = new ArrayList<>(simulation.startSet(1));
        List<Sample> masked = simulation.maskedDataset(annotated, false).samples();
        for (int i = 0; i < all.size(); i++) {
            Sample original = all.get(i);
            boolean train = original.attributes().get("split").equals("train");
            boolean keeps = !train || annotated.contains(original.imageId());
            assertThat(masked.get(i).regions()).as(original.imageId()).isEqualTo(keeps ? original.regions() : List.of());
        }
        // the reference sees no training region at all; val and test keep theirs
        assertThat(simulation.maskedDataset(annotated, true).samples()).allSatisfy(s -> {
            if (s.attributes().get("split").equals("train")) {
                assertThat(s.regions()).isEmpty();
            }
        });
        assertThat(all.stream().filter(s -> !s.attributes().get("split").equals("train")).anyMatch(Sample::annotated)).isTrue();
        // the start set: seeded, of candidates only
        assertThat(simulation.startSet(1)).isEqualTo(annotated).hasSize(START);
        assertThat(simulation.startSet(2)).isNotEqualTo(annotated);
    }

    @Test
    void refusesMoreImagesThanTheCandidatesHold(@TempDir Path dir) {
        DataSpec spec = task(dir);
        assertThatThrownBy(() -> QueueSimulation.run(new QueueSimulation.Settings(spec, List.of(Strategy.RANDOM), 10, 4, 2,
                List.of(1L), train(), false), dir.resolve("sim"), new PrintStream(new ByteArrayOutputStream())))
                .isInstanceOf(BadInputException.class)
                .hasMessage("start 10 + rounds 2 x per round 4 = 18 images, but the training part has only 16 candidates"
                        + " (images not of the no-finding class); ask for fewer");
    }

    @Test
    void theIntervalIsStudentsTOverSeeds() {
        // mean 0.6, sd 0.1, t(0.975, 2) = 4.303: half width 4.303 x 0.1 / sqrt 3 = 0.248434
        SimulationReport.Point p = SimulationReport.point(1, 24, List.of(0.5, 0.7, 0.6));
        assertThat(p.mean()).isCloseTo(0.6, within(1e-12));
        assertThat(p.lower()).isCloseTo(0.351566, within(1e-6));
        assertThat(p.upper()).isCloseTo(0.848434, within(1e-6));
        SimulationReport.Point one = SimulationReport.point(0, 12, List.of(0.42));
        assertThat(one.mean()).isEqualTo(0.42);
        assertThat(one.lower()).isNaN();
        assertThat(SimulationReport.t975(40)).isEqualTo(1.96);
    }
}
