package io.pneuknow.image.dicom;

import io.pneuknow.BadInputException;
import io.pneuknow.image.GreyImage;

import java.util.Arrays;
import java.util.Random;

/**
 * Feeds truncated and mutated copies of a valid DICOM file to the reader and requires, for each,
 * either a {@link BadInputException} with a one-line message that names the file and carries no
 * patient identifier, or a valid image (size within the caps, every value finite and in [0, 1]);
 * any other exception or error fails the test with the case that caused it. Each case is timed.
 */
final class Fuzzing {
    private static final String NAME = "fuzzed.dcm";

    /** What a run saw. */
    record Outcome(int cases, int images, int rejected, long slowestNanos) {
    }

    private Fuzzing() {
    }

    /**
     * Truncates at every {@code step}-th length (and at each of the first 200), then mutates
     * {@code mutations} copies with a seeded generator: 1-4 random bytes replaced, or a 4-byte run
     * set to 0xFF (an undefined or huge length), half of them within the first 512 bytes where the
     * structure is.
     */
    static Outcome run(byte[] original, long seed, int step, int mutations) {
        Counter counter = new Counter();
        for (int length = 0; length < original.length; length += length < 200 ? 1 : step) {
            check(Arrays.copyOf(original, length), "truncated to " + length + " bytes", counter);
        }
        Random random = new Random(seed);
        for (int m = 0; m < mutations; m++) {
            byte[] mutated = original.clone();
            int span = random.nextBoolean() ? Math.min(512, mutated.length) : mutated.length;
            StringBuilder description = new StringBuilder("mutation " + m + " (seed " + seed + "):");
            if (random.nextInt(5) == 0) {
                int at = random.nextInt(Math.max(1, span - 4));
                Arrays.fill(mutated, at, Math.min(mutated.length, at + 4), (byte) 0xFF);
                description.append(" FF x4 at ").append(at);
            } else {
                for (int k = random.nextInt(4); k >= 0; k--) {
                    int at = random.nextInt(span);
                    mutated[at] ^= (byte) (1 + random.nextInt(255));
                    description.append(" byte ").append(at);
                }
            }
            check(mutated, description.toString(), counter);
        }
        return new Outcome(counter.cases, counter.images, counter.rejected, counter.slowest);
    }

    private static final class Counter {
        int cases;
        int images;
        int rejected;
        long slowest;
    }

    private static void check(byte[] bytes, String description, Counter counter) {
        long start = System.nanoTime();
        try {
            DicomImage image = DicomFiles.read(bytes, NAME);
            GreyImage grey = image.image();
            if (grey.width() < 1 || grey.width() > DicomFiles.MAX_SIDE || grey.height() < 1
                    || grey.height() > DicomFiles.MAX_SIDE) {
                throw new AssertionError(description + ": image of " + grey.width() + "x" + grey.height());
            }
            for (float value : grey.pixels()) {
                if (!(value >= 0 && value <= 1)) {
                    throw new AssertionError(description + ": pixel value " + value + " outside [0, 1]");
                }
            }
            Privacy.requireClean(image.header().toString(), description);
            counter.images++;
        } catch (BadInputException e) {
            String message = e.getMessage();
            if (!message.startsWith(NAME + ": ") || message.contains("\n")) {
                throw new AssertionError(description + ": message not one line naming the file: " + message);
            }
            Privacy.requireClean(message, description);
            counter.rejected++;
        } catch (Throwable t) {
            throw new AssertionError(description + ": " + t, t);
        }
        long took = System.nanoTime() - start;
        counter.slowest = Math.max(counter.slowest, took);
        counter.cases++;
    }
}
