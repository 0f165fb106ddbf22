package io.pneuknow.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Jazzer's coverage-guided fuzz target for the service's upload path without a server: a request's
 * Content-Type and multipart body through Jetty's multipart parser, the service's upload check and
 * the decoders, held to {@link UploadContract}. Its corpus is {@code UploadJazzerTestInputs/upload/};
 * see {@link ImageJazzerTest} for how it runs.
 */
@Tag("jazzer")
class UploadJazzerTest {
    @FuzzTest(maxDuration = "60s")
    void upload(byte[] input) {
        UploadContract.check(input);
    }
}
