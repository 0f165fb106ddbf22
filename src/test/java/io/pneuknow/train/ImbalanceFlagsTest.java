package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.cli.Main;
import io.pneuknow.data.SyntheticChestXrays;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The imbalance settings from the command line to config.json, model.json and the history CSV. */
class ImbalanceFlagsTest {
    record Result(int code, String out, String err) {
    }

    static Result cli(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    static List<String> args(Path data, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--regions", "regions.csv",
                "--region-type", "lesion", "--split-column", "split", "--method", "hkd", "--architecture", "tiny_cnn",
                "--input-size", "64", "--epochs", "6", "--teacher-epochs", "2", "--kd-epochs", "2", "--batch-size", "8",
                "--learning-rate", "1e-3", "--threads", "2"));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void flagsReachTheConfigurationTheCardAndTheHistory(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 8, 3, 4, 0.25, 0.5, 5));
        Path out = dir.resolve("run");
        Result r = cli(args(data, "--sampling", "class-balanced", "--loss", "focal", "--focal-gamma", "1.5",
                "--class-weights", "--select-by", "macro-f1", "--patience", "1", "--out", out.toString()));
        assertThat(r.code()).as(r.err()).isZero();

        JsonNode saved = Json.MAPPER.readTree(out.resolve("config.json").toFile()).get("train");
        JsonNode card = Json.MAPPER.readTree(out.resolve("model.json").toFile());
        for (JsonNode train : List.of(saved, card.get("configuration").get("train"))) {
            assertThat(train.get("imbalance").get("sampling").asText()).isEqualTo("class-balanced");
            assertThat(train.get("imbalance").get("loss").asText()).isEqualTo("focal");
            assertThat(train.get("imbalance").get("focalGamma").asDouble()).isEqualTo(1.5);
            assertThat(train.get("imbalance").get("classWeights").asBoolean()).isTrue();
            assertThat(train.get("optimisation").get("selectBy").asText()).isEqualTo("macro-f1");
            assertThat(train.get("optimisation").get("patience").asInt()).isEqualTo(1);
        }

        List<String> lines = Files.readAllLines(out.resolve("history-student.csv"));
        // the earlier columns keep their places (a study reads val_loss as column 7)
        assertThat(lines.get(0)).isEqualTo("epoch,learning_rate,alpha,train_loss,train_ce,train_feature_mse,"
                + "train_accuracy,val_loss,val_accuracy,seconds,val_balanced_accuracy,val_macro_f1,kept,stopped_early,data_wait_seconds");
        List<String[]> rows = lines.stream().skip(1).map(l -> l.split(",")).toList();
        JsonNode checkpoint = card.get("checkpoint");
        int kept = checkpoint.get("epoch").asInt();
        assertThat(checkpoint.get("selectedBy").asText()).isEqualTo("macro-f1");
        assertThat(checkpoint.get("epochsPlanned").asInt()).isEqualTo(6);
        assertThat(checkpoint.get("epochsTrained").asInt()).isEqualTo(rows.size());
        assertThat(checkpoint.get("valMacroF1").asDouble()).isCloseTo(Double.parseDouble(rows.get(kept)[11]), within(1e-4));
        assertThat(checkpoint.get("valBalancedAccuracy").asDouble())
                .isCloseTo(Double.parseDouble(rows.get(kept)[10]), within(1e-4));
        assertThat(checkpoint.get("valLoss").asDouble()).isCloseTo(Double.parseDouble(rows.get(kept)[7]), within(1e-5));
        assertThat(rows.get(kept)[12]).isEqualTo("1");
        for (String[] row : rows) {
            assertThat(Double.parseDouble(row[11])).isLessThanOrEqualTo(Double.parseDouble(rows.get(kept)[11]));
        }
        // the student trains through its feature term (2 epochs) and then at least 1 more
        assertThat(rows.size()).isBetween(3, 6);
        boolean stopped = checkpoint.get("stoppedEarly").asBoolean();
        assertThat(stopped).isEqualTo(rows.size() < 6);
        assertThat(rows.get(rows.size() - 1)[13]).isEqualTo(stopped ? "1" : "0");
        // the teacher's card says the same of its own stage
        JsonNode teacher = card.get("teacher").get("checkpoint");
        assertThat(teacher.get("selectedBy").asText()).isEqualTo("macro-f1");
        assertThat(teacher.get("epochsPlanned").asInt()).isEqualTo(2);
    }

    @Test
    void badValuesAreNamedWithTheirRemedy(@TempDir Path dir) {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 2, 1, 1, 0, 0.5, 5));
        Result r = cli(args(data, "--sampling", "oversample", "--loss", "dice", "--focal-gamma", "-1",
                "--select-by", "auc", "--patience", "-3", "--out", dir.resolve("run").toString()));
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("train.imbalance.sampling 'oversample': unknown; use shuffle or class-balanced")
                .contains("train.imbalance.loss 'dice': unknown; use cross-entropy or focal")
                .contains("train.imbalance.focalGamma -1.0: must be a number of 0 or more")
                .contains("train.optimisation.selectBy 'auc': unknown; use loss, balanced-accuracy or macro-f1")
                .contains("train.optimisation.patience -3: must be 0 (no early stopping) or more");
        assertThat(dir.resolve("run/model.json")).doesNotExist();
    }
}
