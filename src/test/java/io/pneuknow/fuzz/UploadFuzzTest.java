package io.pneuknow.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
    private static final int SHORT_RUN = 3000;
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

    @Test
    void aBodyWithoutBoundaryOrClosingBoundaryIsAParserRefusal() {
        byte[] valid = Seeds.of(UploadJazzerTest.class, "upload").get(0);
        int newline = new String(valid, StandardCharsets.ISO_8859_1).indexOf('\n');
        byte[] body = java.util.Arrays.copyOfRange(valid, newline + 1, valid.length);
        assertThat(UploadContract.check(UploadContract.input("multipart/form-data", body)))
                .isEqualTo(UploadContract.Outcome.PARSER_REFUSED);
        byte[] unclosed = java.util.Arrays.copyOf(body, body.length - (UploadContract.BOUNDARY.length() + 6));
        assertThat(UploadContract.check(UploadContract.input("multipart/form-data; boundary="
                + UploadContract.BOUNDARY, unclosed))).isEqualTo(UploadContract.Outcome.PARSER_REFUSED);
    }
}
