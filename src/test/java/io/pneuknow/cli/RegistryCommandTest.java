package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.TrainingStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pneuknow registry list|promote} and {@code serve --registry}: which model the registry names, and its refusals. */
class RegistryCommandTest {
    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void listsPromotesAndServeFindsThePromotedFolder(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("job-1/model"));
        Files.writeString(folder.resolve("model.json"), "{}");
        String db = dir.resolve("annotations.mv.db").toString();
        long id;
        try (AnnotationDatabase database = AnnotationDatabase.open(db, null, true)) {
            TrainingStore training = new TrainingStore(new AnnotationStore(database));
            training.register(new RegisteredModel.Draft(null, dir.resolve("elsewhere").toString(), "old", "0".repeat(64),
                    "baseline", "tiny_cnn", "{}", "{}", "fp", null));
            id = training.register(new RegisteredModel.Draft(null, folder.toString(), "abc123", "1".repeat(64), "hkd",
                    "tiny_cnn", "{\"balanced_accuracy\":{\"estimate\":0.8125}}", "{}", "fp", "e".repeat(64))).id();
        }
        Result none = cli("serve", "--registry", db);
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err().strip()).isEqualTo("error: " + db + ": no model is promoted in the registry; promote one on the "
                + "studio's Models panel or with pneuknow registry promote");

        Result promoted = cli("registry", "promote", "--db", db, Long.toString(id));
        assertThat(promoted.code()).as(promoted.err()).isZero();
        assertThat(promoted.out().strip()).isEqualTo("promoted model " + id + " (abc123, hkd tiny_cnn)");
        Result list = cli("registry", "list", "--db", db); // 0.8125 shown to 3 places, rounded half up
        assertThat(list.out().lines()).containsExactly(
                "id\tpromoted\tmethod\tarchitecture\ttest_balanced_accuracy\tmodel_id\tsnapshot\tfolder",
                id + "\t*\thkd\ttiny_cnn\t0.813\tabc123\teeeeeeeeeeee\t" + folder,
                (id - 1) + "\t\tbaseline\ttiny_cnn\t\told\t\t" + dir.resolve("elsewhere"));
        assertThat(RegistryCommand.promotedFolder(db)).isEqualTo(folder);

        Result both = cli("serve", "--registry", db, "--model", folder.toString());
        assertThat(both.code()).isEqualTo(1);
        assertThat(both.err()).contains("--model and --registry both name the model to serve; give one of them");
        Result missing = cli("registry", "promote", "--db", db, "999");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("no registered model 999; see pneuknow registry list");
    }
}
