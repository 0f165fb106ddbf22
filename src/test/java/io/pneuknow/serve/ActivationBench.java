package io.pneuknow.serve;

import io.pneuknow.image.GreyImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Not a test: measures the native memory one service request's forward pass and heat map hold, for
 * {@link MemoryBudget#ACTIVATION_BYTES_AT_224}. Run in a fresh JVM whose heap is fully resident, so that RSS growth is
 * native: {@code java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -cp ... io.pneuknow.serve.ActivationBench [MODEL_DIR]}
 * (without a directory it trains the tests' tiny_cnn at 64 px, the demo's architecture and input). After a warm-up
 * request (the engine's one-time native set-up, part of the baseline) it resets the peak RSS
 * ({@code /proc/self/clear_refs}) and prints how far one more request (a forward pass, then Grad-CAM and the heat
 * image, as {@code /v1/explain} does) raises it above the RSS before, and the RSS before and after loading the model
 * and after the warm-up.
 */
public final class ActivationBench {
    private ActivationBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : TinyModel.train(Files.createTempDirectory("activation-bench")).model();
        long beforeLoad = status("VmRSS");
        try (ModelPool pool = new ModelPool(dir, 1, 30_000)) {
            int side = pool.card().preprocessing().inputSize();
            Random random = new Random(1);
            long loaded = status("VmRSS");
            request(pool, image(2 * side, random));
            long baseline = status("VmRSS");
            long grown = 0;
            for (int i = 0; i < 5; i++) {
                Files.writeString(Path.of("/proc/self/clear_refs"), "5");
                long before = status("VmRSS");
                request(pool, image(2 * side, random));
                grown = Math.max(grown, status("VmHWM") - before);
            }
            System.out.printf("%s at %d px: RSS %d MiB before load, %d MiB after it, %d MiB after a first (warm-up) "
                            + "request; one more request raises the peak by at most %d KiB (5 tries)%n",
                    pool.card().architecture(), side, beforeLoad >> 10, loaded >> 10, baseline >> 10, grown);
        }
    }

    private static void request(ModelPool pool, GreyImage image) {
        float[] p = pool.probabilities(image);
        float[][] map = pool.heatMap(image, p[0] > p[p.length - 1] ? 0 : p.length - 1);
        pool.heatImage(map, image.width(), image.height());
    }

    private static GreyImage image(int side, Random random) {
        float[] pixels = new float[side * side];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = random.nextFloat();
        }
        return new GreyImage(side, side, pixels);
    }

    /** A {@code /proc/self/status} field in KiB. */
    private static long status(String field) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }
}
