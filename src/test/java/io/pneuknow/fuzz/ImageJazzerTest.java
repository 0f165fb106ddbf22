package io.pneuknow.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pneuknow.image.ImageFormats;
import org.junit.jupiter.api.Tag;

/**
 * Jazzer's coverage-guided fuzz targets for the PNG, JPEG and DICOM decoders behind
 * {@link ImageFormats} (ImageIO for PNG and JPEG; DicomParser, DicomReader, LosslessJpeg and the JDK's
 * baseline JPEG reader for DICOM), each input held to {@link ImageContract}. In an ordinary test run
 * each target replays its committed corpus ({@code ImageJazzerTestInputs/<target>/}: the valid seeds
 * and every crash found, kept as a regression input); with {@code JAZZER_FUZZ=1} Jazzer fuzzes from
 * it, for the annotation's 60 s or {@code JAZZER_MAX_DURATION}, one target per run:
 * {@code JAZZER_FUZZ=1 JAZZER_MAX_DURATION=240s mvn test -Dtest='ImageJazzerTest#dicom'}; a crash is
 * saved next to the corpus as {@code crash-<sha1>} and replayed by every later test run. PNG and JPEG
 * decode in the JDK's ImageIO, which Jazzer does not instrument: their fuzzing is guided only by the
 * branches of this project's code around it. Tagged
 * {@code jazzer}: the pom runs these in a JVM of their own, because Jazzer's agent stays in the JVM
 * that ran them and hooks every class loaded after.
 */
@Tag("jazzer")
class ImageJazzerTest {
    @FuzzTest(maxDuration = "60s")
    void png(byte[] input) {
        ImageContract.check(ImageFormats.PNG, input);
    }

    @FuzzTest(maxDuration = "60s")
    void jpeg(byte[] input) {
        ImageContract.check(ImageFormats.JPEG, input);
    }

    @FuzzTest(maxDuration = "60s")
    void dicom(byte[] input) {
        ImageContract.check(ImageFormats.DICOM, input);
    }
}
