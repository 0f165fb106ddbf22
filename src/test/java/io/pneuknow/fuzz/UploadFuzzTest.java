package io.pneuknow.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The suite's short fuzz run of the service's upload path ({@link UploadContract}: multipart parser,
 * upload check, decoders): a seeded mutation fuzzer over {@link UploadJazzerTest}'s committed corpus,
 * a fixed number of inputs, so that every run sees the same inputs.
 */
@Tag("fuzz")
class UploadFuzzTest {
    private static final int SHORT_RUN = 10_000;
    private static final long SEED = 21;

    @Test
    void mutatedRequestsEndInARefusalOrAnImage() {
        Mutator mutator = new Mutator(Seeds.of(UploadJazzerTest.class, "upload"), SEED, ImageContract.MAX_INPUT_BYTES);
        Map<UploadContract.Outcome, Integer> outcomes = new EnumMap<>(UploadContract.Outcome.class);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < SHORT_RUN; i++) {
                byte[] input = mutator.next();
                try {
                    outcomes.merge(UploadContract.check(input), 1, Integer::sum);
                } catch (AssertionError e) {
                    throw new AssertionError("upload input " + i + " (seed " + SEED + ", " + input.length
                            + " bytes): " + e.getMessage(), e);
                }
            }
        });
        for (UploadContract.Outcome outcome : UploadContract.Outcome.values()) {
            assertThat(outcomes.getOrDefault(outcome, 0)).as(outcome.name()).isPositive();
        }
    }

    @Test
    void theCorpusCoversAnImageAndEachRefusal() {
        List<byte[]> seeds = Seeds.of(UploadJazzerTest.class, "upload");
        assertThat(seeds.stream().map(UploadContract::check)).contains(UploadContract.Outcome.IMAGE,
                UploadContract.Outcome.UPLOAD_REFUSED);
    }

    /**
     * Issue 19's probe bodies that the service answered with 500 (no boundary, no closing boundary, a
     * file name of 1000+ characters) are refused by the parser with the exception kinds that
     * {@link UploadContract} allows (IOException, IllegalStateException): the ones the service has to
     * answer with a 400.
     */
    @Test
    void theProbesBrokenBodiesAreRefusedByTheParser() {
        byte[] valid = Seeds.file(UploadJazzerTest.class, "upload", "png-grey8");
        String text = new String(valid, StandardCharsets.ISO_8859_1);
        assertThat(text).contains("filename=\"chest.png\"");
        byte[] body = Arrays.copyOfRange(valid, text.indexOf('\n') + 1, valid.length);
        String typed = "multipart/form-data; boundary=" + UploadContract.BOUNDARY;
        assertThat(UploadContract.check(UploadContract.input(typed, body))).isEqualTo(UploadContract.Outcome.IMAGE);

        assertThat(UploadContract.check(UploadContract.input("multipart/form-data", body)))
                .isEqualTo(UploadContract.Outcome.PARSER_REFUSED);
        byte[] unclosed = Arrays.copyOf(body, body.length - (UploadContract.BOUNDARY.length() + 6));
        assertThat(UploadContract.check(UploadContract.input(typed, unclosed)))
                .isEqualTo(UploadContract.Outcome.PARSER_REFUSED);
        byte[] longName = new String(body, StandardCharsets.ISO_8859_1)
                .replace("chest.png", "x".repeat(1200) + ".png").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(UploadContract.check(UploadContract.input(typed, longName)))
                .isEqualTo(UploadContract.Outcome.PARSER_REFUSED);
    }
}
