package io.pneuknow.bench;

import io.pneuknow.explain.HeatMaps;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Prediction latency of one image (decode, preprocess, forward, softmax), with and without a Grad-CAM heat map: p50 and p95. */
final class LatencyBench {
    private LatencyBench() {
    }

    /** Measures the model in {@code modelDir} on the first image of {@code dataDir}, after three warm-up rounds. */
    static void measure(BenchRun run, Path modelDir, Path dataDir) throws IOException {
        run.say("prediction latency");
        int samples = run.settings().latencySamples();
        BenchReport.Builder report = run.report();
        try (ModelBundle.Loaded loaded = ModelBundle.load(modelDir)) {
            Predictor predictor = new Predictor(loaded);
            HeatMaps heatMaps = new HeatMaps(loaded);
            Path file = anyImage(dataDir);
            int warmup = 3;
            double[] plain = new double[samples];
            double[] withMap = new double[samples];
            for (int i = -warmup; i < samples; i++) {
                long t0 = System.nanoTime();
                GreyImage image = ImageFiles.read(file);
                predictor.probabilities(List.of(image));
                long t1 = System.nanoTime();
                GreyImage image2 = ImageFiles.read(file);
                float[] p = predictor.probabilities(List.of(image2))[0];
                heatMaps.gradCam(image2, Predictor.argmax(p));
                long t2 = System.nanoTime();
                if (i >= 0) {
                    plain[i] = (t1 - t0) / 1e6;
                    withMap[i] = (t2 - t1) / 1e6;
                }
            }
            String model = loaded.card().architecture() + " " + loaded.card().preprocessing().inputSize() + " px";
            report.row("latency.predict.p50", "predict one image p50 (" + model + ")", "ms",
                    Stats.percentile(plain, 50), "decode + preprocess + forward + softmax, model.Predictor");
            report.row("latency.predict.p95", "predict one image p95 (" + model + ")", "ms", Stats.percentile(plain, 95),
                    samples + " samples");
            report.row("latency.heatmap.p50", "predict + Grad-CAM heat map p50 (" + model + ")", "ms",
                    Stats.percentile(withMap, 50), "explain.HeatMaps.gradCam of the predicted class");
            report.row("latency.heatmap.p95", "predict + Grad-CAM heat map p95 (" + model + ")", "ms",
                    Stats.percentile(withMap, 95), samples + " samples");
        }
    }

    /** The first PNG image of a bench data folder. */
    private static Path anyImage(Path dataDir) throws IOException {
        Path images = dataDir.resolve("images");
        try (var files = Files.list(images)) {
            return files.filter(f -> f.toString().endsWith(".png")).sorted().findFirst()
                    .orElseThrow(() -> new IOException("no PNG in " + images));
        }
    }
}
