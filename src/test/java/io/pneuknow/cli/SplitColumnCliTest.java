package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.SyntheticChestXrays;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --split-column}: a value that names no part is refused with its labels row, before anything is trained. */
class SplitColumnCliTest {
    @Test
    void anUnknownPartIsNamedWithItsRow(@TempDir Path dir) throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 2, 1, 1, 0.25, 0.7, 3));
        Path labels = data.resolve("labels.csv");
        Files.writeString(labels, Files.readString(labels).replace(",val,", ",tuning,"));
        int row = Files.readAllLines(labels).subList(1, Files.readAllLines(labels).size()).stream()
                .map(line -> line.contains(",tuning,")).toList().indexOf(true) + 1;
        StringWriter err = new StringWriter();

        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "train", "--data",
                data.toString(), "--split-column", "split", "--architecture", "tiny_cnn", "--input-size", "64", "--epochs", "1",
                "--out", dir.resolve("run").toString());

        assertThat(code).isEqualTo(1);
        assertThat(row).isPositive();
        assertThat(err.toString()).contains("labels.csv row " + row + ": split value 'tuning' of image ",
                "in column 'split' is not a part name; write train/training, val/valid/validation/dev, test/holdout");
        assertThat(dir.resolve("run/model.json")).doesNotExist();
    }
}
