package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.cli.Main;
import io.pneuknow.data.SyntheticChestXrays;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A tiny_cnn baseline trained in seconds on 45 synthetic 64 px images, for tests of predict and serve. */
public record TinyModel(Path data, Path model) {
    /** The one model {@link #shared()} trains, per test JVM. */
    private static TinyModel shared;

    /**
     * A model trained once per test JVM (in a temporary folder removed when the JVM exits), for tests that
     * only read the model and its data; tests that write next to them train their own with {@link #train}.
     */
    public static synchronized TinyModel shared() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("pneuknow-tiny-model");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
                shared = train(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }

    /** Generates the data under {@code dir}/data and trains into {@code dir}/model through the command line. */
    public static TinyModel train(Path dir) {
        Path data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 8, 3, 4, 0.25, 0.5, 5));
        Path model = dir.resolve("model");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "train", "--data",
                data.toString(), "--split-column", "split", "--method", "baseline", "--architecture", "tiny_cnn", "--input-size", "64",
                "--epochs", "2", "--batch-size", "8", "--learning-rate", "1e-3", "--threads", "2", "--out", model.toString());
        assertThat(code).as(err.toString()).isZero();
        return new TinyModel(data, model);
    }

    /** A synthetic image of the data set, e.g. {@code image(0)} is images/syn_00000.png. */
    public Path image(int index) {
        return data.resolve(String.format("images/syn_%05d.png", index));
    }
}
