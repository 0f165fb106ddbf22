package io.pneuknow.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.cli.Main;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkPredictTest {
    @Test
    void batchPredictionGivesTheLabelsAndProbabilitiesOfThePredictorAndErrorRowsForUnreadableImages(@TempDir Path dir)
            throws Exception {
        Path trainData = SyntheticChestXrays.generate(dir.resolve("train"), new SyntheticChestXrays.Spec(64, 8, 3, 4, 0.25, 0.5, 5));
        Path model = dir.resolve("model");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "train", "--data",
                trainData.toString(), "--split-column", "split", "--method", "baseline", "--architecture", "tiny_cnn", "--input-size", "64",
                "--epochs", "1", "--batch-size", "8", "--learning-rate", "1e-3", "--threads", "2", "--out", model.toString());
        assertThat(code).as(err.toString()).isZero();

        // 300 other images, listed with relative paths, and two that cannot be read
        Path images = SyntheticChestXrays.generate(dir.resolve("archive"), new SyntheticChestXrays.Spec(64, 100, 0, 0, 0.25, 0.5, 9));
        List<Path> files;
        try (Stream<Path> walk = Files.list(images.resolve("images"))) {
            files = walk.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertThat(files).hasSize(300);
        Files.writeString(images.resolve("images/broken.png"), "not an image");
        StringBuilder csv = new StringBuilder("image_id,path,patient_id\n");
        for (Path f : files) {
            csv.append(f.getFileName()).append(",images/").append(f.getFileName()).append(",p").append(f.getFileName().hashCode() % 7)
                    .append('\n');
        }
        csv.append("broken,images/broken.png,px\nmissing,images/missing.png,px\n");
        Path list = images.resolve("list.csv");
        Files.writeString(list, csv);

        Map<String, float[]> expected = new HashMap<>();
        List<String> labels;
        try (ModelBundle.Loaded loaded = ModelBundle.load(model)) {
            labels = loaded.card().labels();
            Predictor predictor = new Predictor(loaded);
            for (int start = 0; start < files.size(); start += 16) {
                List<Path> chunk = files.subList(start, Math.min(files.size(), start + 16));
                List<GreyImage> decoded = chunk.stream().map(ImageFiles::read).toList();
                float[][] p = predictor.probabilities(decoded);
                for (int i = 0; i < chunk.size(); i++) {
                    expected.put(chunk.get(i).getFileName().toString(), p[i]);
                }
            }
        }

        Path out = dir.resolve("out");
        List<Row> rows;
        try (SparkSession spark = SparkSession.builder().master("local[2]").appName("test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "localhost").getOrCreate()) {
            SparkPredict.Outcome outcome = SparkPredict.run(spark, model, list.toString(), out.toString(),
                    new SparkPredict.Options(null, null, null, 16, 3, 2));
            assertThat(outcome.images()).isEqualTo(302);
            assertThat(outcome.unreadable()).isEqualTo(2);
            rows = new ArrayList<>(spark.read().parquet(out.resolve("predictions.parquet").toString()).collectAsList());
            assertThat(spark.read().option("header", "true").csv(out.resolve("predictions-csv").toString()).count()).isEqualTo(302);
        }
        assertThat(ModelHolder.held()).isEqualTo(1);
        String hash = ModelBundle.readCard(model).weightsSha256();
        int checked = 0;
        for (Row r : rows) {
            String id = r.getAs("image_id");
            assertThat((String) r.getAs("model_hash")).isEqualTo(hash);
            if (id.equals("broken") || id.equals("missing")) {
                assertThat((String) r.getAs("error")).isNotBlank();
                assertThat((Object) r.getAs("label")).isNull();
                continue;
            }
            float[] p = expected.get(id);
            assertThat((Object) r.getAs("error")).isNull();
            assertThat((String) r.getAs("label")).isEqualTo(labels.get(Predictor.argmax(p)));
            for (int c = 0; c < labels.size(); c++) {
                assertThat((double) r.getAs("p_" + labels.get(c))).isCloseTo(p[c], within(1e-6));
            }
            checked++;
        }
        assertThat(checked).isEqualTo(300);
    }
}
