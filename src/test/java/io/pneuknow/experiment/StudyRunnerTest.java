package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.train.TrainConfig;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyRunnerTest {
    @Test
    void tinyStudyTabulatesEveryCellAndNeverTrainsAFinishedCellAgain(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 6, 2, 2, 0.25, 0.7, 4));
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion");
        TrainConfig train = TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(2).teacherEpochs(1)
                .kdEpochs(2).learningRate(1e-3f).augment("weak").seed(1).threads(2).studentEpochs(3).build();
        StudyConfig config = new StudyConfig("tiny", spec, 3, 7, null, List.of("tiny_cnn"),
                List.of("baseline", "hkd", "hkd-fraction-0.5"), List.of(1L), train, 200);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        List<CellResult> first = StudyRunner.run(config, dir.resolve("study"), quiet);
        java.util.Set<String> annotatedIds = new java.util.HashSet<>();
        io.pneuknow.data.DatasetLoader.load(spec).samples().stream().filter(io.pneuknow.data.Sample::annotated)
                .forEach(x -> annotatedIds.add(x.imageId()));

        assertThat(first).hasSize(9);
        // the student trains for its own number of epochs, the baseline for the common one
        assertThat(first).filteredOn(c -> c.method().equals("baseline")).allSatisfy(c -> assertThat(c.valLoss()).hasSize(2));
        assertThat(first).filteredOn(c -> c.method().equals("hkd")).allSatisfy(c -> assertThat(c.valLoss()).hasSize(3));
        // every image is tested exactly once per method (the folds partition the data)
        for (String method : config.methods()) {
            List<String> tested = new ArrayList<>();
            first.stream().filter(c -> c.method().equals(method)).forEach(c -> c.test().forEach(p -> tested.add(p.imageId())));
            assertThat(tested).hasSize(30).doesNotHaveDuplicates();
        }
        String summary = Files.readString(dir.resolve("study/summary.md"));
        assertThat(summary).contains("| tiny_cnn | baseline | 3 |").contains("| tiny_cnn | hkd | 3 |")
                .contains("| tiny_cnn | hkd-fraction-0.5 | 3 |");
        StudyTables tables = io.pneuknow.Json.MAPPER.readValue(dir.resolve("study/summary.json").toFile(), StudyTables.class);
        StudyTables.Comparison hkd = tables.comparisons().stream().filter(c -> c.method().equals("hkd")).findFirst().orElseThrow();
        List<String> classes = SyntheticChestXrays.CLASSES;
        double pooledHkd = Metrics.of(StudyTables.pooled(first.stream().filter(c -> c.method().equals("hkd")).toList()), classes)
                .balancedAccuracy();
        double pooledBaseline = Metrics.of(StudyTables.pooled(first.stream().filter(c -> c.method().equals("baseline")).toList()),
                classes).balancedAccuracy();
        assertThat(hkd.images()).isEqualTo(30);
        assertThat(hkd.balancedAccuracyDifference().estimate()).isCloseTo(pooledHkd - pooledBaseline, within(1e-12));
        assertThat(hkd.balancedAccuracyDifference().lower()).isLessThanOrEqualTo(hkd.balancedAccuracyDifference().upper());

        // localisation: every annotated test image of every cell scored once; the pooled energy is the mean
        // of the per-image energies (one seed here), and the curve over annotation fractions is tabulated
        for (CellResult c : first) {
            long annotatedTest = c.test().stream().filter(p -> annotatedIds.contains(p.imageId())).count();
            assertThat(c.localisation()).hasSize((int) annotatedTest);
        }
        StudyTables.LocalisationRow hkdLocalisation = tables.localisation().stream()
                .filter(l -> l.method().equals("hkd")).findFirst().orElseThrow();
        double meanEnergy = first.stream().filter(c -> c.method().equals("hkd")).flatMap(c -> c.localisation().stream())
                .filter(a -> a.defined()).mapToDouble(a -> a.energy()).average().orElseThrow();
        assertThat(hkdLocalisation.energy().estimate()).isCloseTo(meanEnergy, within(1e-12));
        assertThat(hkdLocalisation.perClass()).containsKey("cavity");
        assertThat(hkd.energyDifference()).isNotNull();
        assertThat(tables.annotationFraction()).extracting(StudyTables.FractionPoint::fraction).containsExactly(0.5, 1.0);
        assertThat(summary).contains("## Localisation").contains("## Annotation-fraction curve");

        // a second run trains nothing: every cell.json stays as it was
        List<FileTime> before = new ArrayList<>();
        try (var files = Files.walk(dir.resolve("study/cells"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("cell.json")).sorted().toList()) {
                before.add(Files.getLastModifiedTime(f));
            }
        }
        List<CellResult> second = StudyRunner.run(config, dir.resolve("study"), quiet);
        List<FileTime> after = new ArrayList<>();
        try (var files = Files.walk(dir.resolve("study/cells"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("cell.json")).sorted().toList()) {
                after.add(Files.getLastModifiedTime(f));
            }
        }
        assertThat(after).isEqualTo(before).hasSize(9);
        assertThat(second).hasSize(9);
        assertThat(second.get(4).test().get(0).probabilities()).containsExactly(first.get(4).test().get(0).probabilities());

        // other training settings in the same folder are refused before anything is trained
        StudyConfig changed = new StudyConfig("tiny", spec, 3, 7, null, List.of("tiny_cnn"), List.of("baseline"),
                List.of(1L, 2L), train.with("baseline", "roi", "tiny_cnn", 1, 1, 0.5), 200);
        assertThatThrownBy(() -> StudyRunner.run(changed, dir.resolve("study"), quiet))
                .isInstanceOf(io.pneuknow.BadInputException.class)
                .hasMessageContaining("train.method.regionsKeptFraction 1.0 -> 0.5").hasMessageContaining("new study folder");
        assertThat(dir.resolve("study/cells/tiny_cnn/baseline/fold-0/seed-2")).doesNotExist();
    }

    @Test
    void aCellOfTheEarlierHkdFractionMeaningIsRefusedNotReadAsTheTeacherShare(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 3, 1, 1, 0.25, 0.7, 4));
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion");
        TrainConfig train = TrainConfig.builder().architecture("tiny_cnn").inputSize(64).epochs(1).teacherEpochs(1)
                .seed(1).threads(2).build();
        StudyConfig config = new StudyConfig("fraction", spec, 3, 7, List.of(0), List.of("tiny_cnn"),
                List.of("hkd-fraction-0.5"), List.of(1L), train, 0);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        StudyRunner.Study study = StudyRunner.plan(config, dir.resolve("study"), quiet);
        StudyRunner.Cell cell = study.cells().get(0);
        Path cellDir = cell.dir(study.dir());
        Files.createDirectories(cellDir.resolve("teacher"));
        // an interrupted cell of the earlier hkd-fraction-0.5: its teacher saved with the regions-kept share
        Files.writeString(cellDir.resolve("teacher/model.json"), """
                {"configuration": {"train": {"method": {"name": "hkd", "annotationFraction": 0.5}}}}
                """);

        assertThatThrownBy(() -> StudyRunner.runCell(study, cell, quiet)).isInstanceOf(io.pneuknow.BadInputException.class)
                .hasMessage(cellDir.resolve("teacher/model.json") + ": this hkd-fraction-0.5 cell was trained when the"
                        + " name meant the regions-kept variant (now hkd-regions-kept-0.5); rename its method folder and"
                        + " the study file's method to that name to keep it, or delete the folder to train the"
                        + " reference's control");
        assertThat(cellDir.resolve("model.json")).doesNotExist();
        // a card of the current settings (both shares written) is not refused
        Files.writeString(cellDir.resolve("teacher/model.json"), """
                {"configuration": {"train": {"method": {"name": "hkd", "teacherFraction": 0.5,
                 "regionsKeptFraction": 1.0}}}}
                """);
        assertThat(StudyRunner.finishedResult(study, cell)).isEmpty();
    }

    @Test
    void pooledFiguresAreComputedFromTheConfusionCountsByHand() {
        // true 0,0,0,1,1,2 predicted 0,1,0,1,0,1 (class 3 absent)
        int[][] pairs = {{0, 0}, {0, 1}, {0, 0}, {1, 1}, {1, 0}, {2, 1}};
        List<io.pneuknow.evaluate.Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < pairs.length; i++) {
            double[] p = new double[4];
            p[pairs[i][1]] = 1;
            predictions.add(new io.pneuknow.evaluate.Prediction("i" + i, "p" + i, pairs[i][0], p));
        }
        double[] f = StudyTables.pooledFigures(predictions, 4);
        // recall 2/3, 1/2, 0, absent; F1 2*2/(3+3), 2*1/(2+3), 0
        assertThat(f[2]).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(f[3]).isCloseTo(0.5, within(1e-12));
        assertThat(f[4]).isZero();
        assertThat(f[5]).isNaN();
        assertThat(f[0]).isCloseTo((2.0 / 3 + 0.5 + 0) / 3, within(1e-12));
        assertThat(f[1]).isCloseTo((4.0 / 6 + 2.0 / 5 + 0) / 3, within(1e-12));
        assertThat(f[0]).isCloseTo(Metrics.of(predictions, List.of("a", "b", "c", "d")).balancedAccuracy(), within(1e-12));
        // accuracy last: 3 of 6 right
        assertThat(f[6]).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void aCellMovesToItsTrainingPartsClassFrequencies() {
        var p = new io.pneuknow.evaluate.Prediction("i", "p", 1, 0.5, 0.5);
        CellResult cell = new CellResult("tiny_cnn", "baseline+balanced", 0, 1, List.of(p), 0, 0, 0, List.of(), 1, "id",
                List.of());
        CellResult shifted = StudyTables.shiftedToTrainingPrior(cell, new int[] {3, 1});
        assertThat(shifted.test().get(0).probabilities()).containsExactly(0.75, 0.25);
        assertThat(shifted.test().get(0).predictedClass()).isZero();
        assertThat(shifted.method()).isEqualTo("baseline+balanced");
    }

    @Test
    void aVariantMethodTrainsWithItsSettingsAndIsComparedWithItsReference(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 6, 2, 2, 0.25, 0.7, 4));
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion");
        TrainConfig train = TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(1).teacherEpochs(1)
                .kdEpochs(1).learningRate(1e-3f).augment("weak").seed(1).threads(2).build();
        var balanced = io.pneuknow.Json.MAPPER.createObjectNode().put("sampling", "class-balanced");
        StudyConfig config = new StudyConfig("variants", spec, 3, 7, List.of(0), List.of("tiny_cnn"),
                List.of("baseline", "baseline+balanced"), List.of(1L), train, 100, java.util.Map.of("balanced", balanced));
        List<CellResult> cells = StudyRunner.run(config, dir.resolve("study"), new PrintStream(OutputStream.nullOutputStream()));
        assertThat(cells).hasSize(2);
        Path cellDir = dir.resolve("study/cells/tiny_cnn/baseline+balanced/fold-0/seed-1");
        var cardTrain = io.pneuknow.Json.MAPPER.readTree(cellDir.resolve("model.json").toFile()).get("configuration")
                .get("train");
        assertThat(cardTrain.get("imbalance").get("sampling").asText()).isEqualTo("class-balanced");
        var plainTrain = io.pneuknow.Json.MAPPER.readTree(dir.resolve("study/cells/tiny_cnn/baseline/fold-0/seed-1/model.json")
                .toFile()).get("configuration").get("train");
        assertThat(plainTrain.get("imbalance").get("sampling").asText()).isEqualTo("shuffle");
        StudyTables tables = io.pneuknow.Json.MAPPER.readValue(dir.resolve("study/summary.json").toFile(), StudyTables.class);
        assertThat(tables.comparisons()).singleElement().satisfies(c -> {
            assertThat(c.method()).isEqualTo("baseline+balanced");
            assertThat(c.reference()).isEqualTo("baseline");
        });
        assertThat(tables.pooled()).hasSize(2);
        // only the balanced model learned a uniform prior; moved to its training frequencies, as by hand
        assertThat(tables.priorShifted()).singleElement().satisfies(r -> assertThat(r.method()).isEqualTo("baseline+balanced"));
        CellResult balancedCell = cells.stream().filter(c -> c.method().equals("baseline+balanced")).findFirst().orElseThrow();
        int[] counts = new int[3];
        Dataset dataset = DatasetLoader.load(spec);
        Split folds = SplitCsv.read(dir.resolve("study/folds.csv"), dataset);
        for (var s : folds.forFold(0).samples(dataset, Split.TRAIN)) {
            counts[s.classIndex()]++;
        }
        List<io.pneuknow.evaluate.Prediction> byHand = StudyTables.shiftedToTrainingPrior(balancedCell, counts).test();
        double accuracy = byHand.stream().filter(x -> x.predictedClass() == x.trueClass()).count() / (double) byHand.size();
        assertThat(tables.priorShifted().get(0).accuracy().estimate()).isCloseTo(accuracy, within(1e-9));
        assertThat(Files.readString(dir.resolve("study/summary.md"))).contains("| tiny_cnn | baseline+balanced | baseline |")
                .contains("recall cavity").contains("## Moved to the training prior");

        // a variant that finished cells used cannot change under them
        var changed = io.pneuknow.Json.MAPPER.createObjectNode().put("sampling", "shuffle");
        StudyConfig edited = new StudyConfig("variants", spec, 3, 7, List.of(0), List.of("tiny_cnn"),
                List.of("baseline", "baseline+balanced"), List.of(1L), train, 100, java.util.Map.of("balanced", changed));
        assertThatThrownBy(() -> StudyRunner.run(edited, dir.resolve("study"), new PrintStream(OutputStream.nullOutputStream())))
                .hasMessageContaining("variants.balanced");
    }

    @Test
    void aGuidanceVariantGivesItsCellsTheGuidanceRegionsAndOthersNot(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 6, 2, 2, 0.5, 0.7, 4));
        DataSpec spec = DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")).withRegionTypes("lesion");
        // a lung box on every image, as a data set's anatomy annotations would be
        StringBuilder rows = new StringBuilder();
        for (var s : io.pneuknow.data.DatasetLoader.load(spec).samples()) {
            rows.append(s.imageId()).append(',').append(data.relativize(s.file())).append(",anatomy,lung,8,8,48,48,\n");
        }
        Files.writeString(data.resolve("regions.csv"), rows, java.nio.file.StandardOpenOption.APPEND);
        TrainConfig train = TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(1).teacherEpochs(1)
                .kdEpochs(1).learningRate(1e-3f).augment("weak").seed(1).threads(2).build();
        var lungs = io.pneuknow.Json.MAPPER.createObjectNode();
        lungs.putArray("guidanceRegionTypes").add("anatomy");
        StudyConfig config = new StudyConfig("guidance", spec, 3, 7, List.of(0), List.of("tiny_cnn"),
                List.of("hkd", "hkd+lungs"), List.of(1L), train, 100, java.util.Map.of("lungs", lungs),
                List.of(List.of("hkd+lungs", "hkd")));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        List<CellResult> cells = StudyRunner.run(config, dir.resolve("study"), new PrintStream(log, true));
        assertThat(cells).hasSize(2);
        // the teacher's training images with an ROI, per cell in order: hkd, then hkd+lungs
        var matcher = java.util.regex.Pattern.compile("teacher: (\\d+) of (\\d+) training images have an ROI")
                .matcher(log.toString());
        List<Integer> withRoi = new ArrayList<>();
        while (matcher.find()) {
            withRoi.add(Integer.parseInt(matcher.group(1)));
        }
        assertThat(withRoi).hasSize(2);
        assertThat(withRoi.get(1)).isGreaterThan(withRoi.get(0));
        // the same test images for both, so they are comparable
        assertThat(cells.get(1).test()).extracting(p -> p.imageId())
                .containsExactlyElementsOf(cells.get(0).test().stream().map(p -> p.imageId()).toList());
        // the pair the study names is compared (its default reference, baseline+lungs, was not run)
        StudyTables tables = io.pneuknow.Json.MAPPER.readValue(dir.resolve("study/summary.json").toFile(), StudyTables.class);
        assertThat(tables.comparisons()).singleElement().satisfies(c -> {
            assertThat(c.method()).isEqualTo("hkd+lungs");
            assertThat(c.reference()).isEqualTo("hkd");
            assertThat(c.images()).isEqualTo(cells.get(0).test().size());
        });
    }
}
