package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.bench.ServeLoad;
import io.pneuknow.cli.Main;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Load on a started server: 500 predictions and 100 heat maps, 8 at a time, without failures and with identical answers per image; and pneuknow serve-bench end to end. */
class ServeLoadTest {
    @TempDir
    Path dir;

    @Test
    void underConcurrentLoadEveryRequestSucceedsWithTheSameAnswerPerImage() throws Exception {
        TinyModel tiny = TinyModel.train(dir);
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            images.add(Files.readAllBytes(tiny.image(10 + i)));
        }
        try (ModelPool pool = new ModelPool(tiny.model(), 2, 30_000);
             Server server = Server.start(pool, Server.Settings.defaults().withPort(0),
                     new PrintStream(OutputStream.nullOutputStream()))) {
            URI base = URI.create("http://127.0.0.1:" + server.port());
            ServeLoad.Result predict = ServeLoad.fire(base, "/v1/predict", images, 500, 8);
            assertThat(predict.failures()).as(String.valueOf(predict.firstFailure())).isZero();
            assertThat(predict.inconsistent()).isZero();
            assertThat(predict.throughput()).isPositive();
            assertThat(predict.p95Ms()).isGreaterThanOrEqualTo(predict.p50Ms()).isPositive();
            ServeLoad.Result explain = ServeLoad.fire(base, "/v1/explain?format=json", images, 100, 8);
            assertThat(explain.failures()).as(String.valueOf(explain.firstFailure())).isZero();
            assertThat(explain.inconsistent()).isZero();
        }

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "serve-bench", "--model",
                tiny.model().toString(), "--requests", "24", "--concurrency", "4", "--threads", "2");
        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("load average before: ")
                .containsPattern("\\| POST /v1/predict \\| 24 \\| 4 \\| 0 \\| 0 \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\|")
                .containsPattern("\\| POST /v1/explain\\?format=json \\| 24 \\| 4 \\| 0 \\| 0 \\|");

        StringWriter refused = new StringWriter();
        assertThat(Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(refused, true), "serve-bench",
                "--model", tiny.model().toString(), "--concurrency", "0")).isEqualTo(1);
        assertThat(refused.toString().trim()).startsWith("error: --requests, --concurrency and --workers must be at least 1");
    }
}
