package io.pneuknow.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pneuknow.image.ImageFormat;
import io.pneuknow.image.ImageFormats;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The suite's short fuzz run of the PNG, JPEG and DICOM decoders behind {@link ImageFormats}: a
 * seeded mutation fuzzer ({@link Mutator}) over the committed corpus of {@link ImageJazzerTest}, a
 * fixed number of inputs per format, so that every run sees the same inputs; each held to
 * {@link ImageContract} (a valid image or a clean {@link io.pneuknow.BadInputException}). The
 * coverage-guided fuzzing is {@link ImageJazzerTest}'s.
 */
@Tag("fuzz")
class ImageFuzzTest {
    /** Inputs per format in the suite's short run (1-3 s each on this machine's cores). */
    private static final int SHORT_RUN = 10_000;

    @Test
    void pngShortRun() {
        shortRun(ImageFormats.PNG, "png", 11);
    }

    @Test
    void jpegShortRun() {
        shortRun(ImageFormats.JPEG, "jpeg", 12);
    }

    @Test
    void dicomShortRun() {
        shortRun(ImageFormats.DICOM, "dicom", 13);
    }

    @Test
    void everySeedDecodes() {
        for (String target : List.of("png", "jpeg", "dicom")) {
            ImageFormat format = format(target);
            for (byte[] seed : Seeds.of(ImageJazzerTest.class, target)) {
                assertThat(ImageContract.check(format, seed)).as(target).isEqualTo(ImageContract.Outcome.IMAGE);
            }
        }
    }

    /**
     * Mutated seeds of one format, {@link #SHORT_RUN} of them within 60 s in all; each must keep the
     * contract, and both outcomes must occur (a run that only ever refuses, or never does, tests little).
     */
    private static void shortRun(ImageFormat format, String target, long seed) {
        Mutator mutator = new Mutator(Seeds.of(ImageJazzerTest.class, target), seed, ImageContract.MAX_INPUT_BYTES);
        Map<ImageContract.Outcome, Integer> outcomes = new EnumMap<>(ImageContract.Outcome.class);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < SHORT_RUN; i++) {
                byte[] input = mutator.next();
                try {
                    outcomes.merge(ImageContract.check(format, input), 1, Integer::sum);
                } catch (AssertionError e) {
                    throw new AssertionError(target + " input " + i + " (seed " + seed + ", " + input.length
                            + " bytes): " + e.getMessage(), e);
                }
            }
        }, target);
        assertThat(outcomes.getOrDefault(ImageContract.Outcome.IMAGE, 0)).as(target + " images").isPositive();
        assertThat(outcomes.getOrDefault(ImageContract.Outcome.REFUSED, 0)).as(target + " refusals").isPositive();
    }

    private static ImageFormat format(String target) {
        return switch (target) {
            case "png" -> ImageFormats.PNG;
            case "jpeg" -> ImageFormats.JPEG;
            default -> ImageFormats.DICOM;
        };
    }
}
