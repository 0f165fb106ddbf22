package io.pneuknow.train;

/**
 * The learning-rate and distillation-weight schedules.
 *
 * <p>Learning rate: cosine annealing to zero over the stage, stepped per epoch
 * ({@code lr0 * (1 + cos(pi * e / E)) / 2}). The reference (Schaudt et al. 2023) stepped its
 * scheduler every batch while counting the period in epochs, so its rate cycles about once per
 * epoch; {@code perBatch} reproduces that closed form with the global batch count in place of e.
 *
 * <p>Distillation weight: {@code alpha(e) = alpha0 * (1 - e / E_kd)} for {@code e < E_kd}, else 0
 * (0-based epochs), as in the reference.
 */
public final class Schedules {
    private Schedules() {
    }

    /** Learning rate for epoch {@code epoch} of {@code epochs}, or for global batch {@code step} when per batch. */
    public static float learningRate(float base, int epoch, int epochs, long step, boolean perBatch) {
        double t = perBatch ? step : epoch;
        return (float) (base * (1 + Math.cos(Math.PI * t / epochs)) / 2);
    }

    /** The weight of the feature term at 0-based epoch {@code epoch}. */
    public static float alpha(float alpha0, int kdEpochs, int epoch) {
        if (epoch >= kdEpochs || kdEpochs <= 0) {
            return 0f;
        }
        return alpha0 * (1f - (float) epoch / kdEpochs);
    }

    /** A well-mixed 64-bit seed from a base seed and a list of integers (stage, epoch, index...). */
    public static long mix(long seed, long... parts) {
        long h = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (long p : parts) {
            h ^= p + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
            h = murmur(h);
        }
        return h;
    }

    private static long murmur(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
