package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The process-wide memory budget (issue 19, item 1): what a request reserves, the 503 and 413 refusals, the
 * reservation kept by a timed-out request whose work still runs, and the defaults derived from the heap and the budget.
 */
class MemoryBudgetTest {
    static final int MIB = 1 << 20;
    static ModelPool pool;
    static byte[] png;
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void load() throws Exception {
        TinyModel tiny = TinyModel.shared();
        pool = new ModelPool(tiny.model(), 1, 30_000);
        png = Files.readAllBytes(tiny.image(2));
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    static Server start(Server.Settings settings, Runnable beforeModel) {
        return Server.start(pool, settings, new PrintStream(LOG, true, StandardCharsets.UTF_8), beforeModel);
    }

    @Test
    void aReservationIsHeldUntilClosedOnceAndRefusesWhatDoesNotFit() {
        MemoryBudget budget = new MemoryBudget(10 * MIB);
        MemoryBudget.Reservation six = budget.reserve(new MemoryBudget.Cost(0, 0, 6L * MIB, 0));
        assertThat(budget.reserved()).isEqualTo(6L * MIB);
        assertThatThrownBy(() -> budget.reserve(new MemoryBudget.Cost(0, 0, 5L * MIB, 0)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status).isEqualTo(503);
                    assertThat(e.code).isEqualTo("memory_busy");
                    assertThat(e.getMessage()).isEqualTo("the memory budget of 10 MiB is held by requests in flight "
                            + "(6 MiB; this one needs 5 MiB); retry in a second, or start the service with a larger "
                            + "--memory-budget-mb");
                });
        assertThat(budget.reserved()).as("a refusal reserves nothing").isEqualTo(6L * MIB);
        MemoryBudget.Reservation four = budget.reserve(new MemoryBudget.Cost(1L * MIB, 0, 3L * MIB, 0));
        assertThat(budget.reserved()).isEqualTo(10L * MIB);
        six.close();
        six.close();
        assertThat(budget.reserved()).as("closed twice, given back once").isEqualTo(4L * MIB);
        four.close();
        assertThat(budget.reserved()).isZero();
    }

    @Test
    void aCostOverTheWholeBudgetIs413() {
        MemoryBudget budget = new MemoryBudget(10 * MIB);
        assertThatThrownBy(() -> budget.reserve(new MemoryBudget.Cost(0, 500_000, 11L * MIB, 0)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status).isEqualTo(413);
                    assertThat(e.code).isEqualTo("over_memory_budget");
                    assertThat(e.getMessage()).isEqualTo("this image (decoded at 500000 pixels) needs about 11 MiB of "
                            + "memory, more than the service's memory budget of 10 MiB; downscale the image, or start the "
                            + "service with a larger --memory-budget-mb");
                });
        assertThat(budget.reserved()).isZero();
    }

    @Test
    void theCostCountsThePixelsReallyDecoded() throws Exception {
        byte[] huge = ServerBoundsTest.greyPng(6000);
        MemoryBudget.Cost png = MemoryBudget.Cost.of(huge, new ImageFiles.Dimensions(6000, 6000), 128, "tiny_cnn", 64,
                false);
        GreyImage read = ImageFiles.decode(huge, "huge", 128);
        assertThat(png.decodedPixels()).as("step 46: at most ceil(6000 / 46) = 131 a side, read at 130")
                .isEqualTo(131L * 131).isGreaterThanOrEqualTo((long) read.width() * read.height());
        assertThat(png.pixelBytes()).isEqualTo(131L * 131 * 24);
        assertThat(png.modelBytes()).as("input 64 x 64 x 16 bytes + tiny_cnn's 2 MiB").isEqualTo(64L * 64 * 16 + 2 * MIB);
        assertThat(png.total()).isEqualTo(huge.length + 131L * 131 * 24 + 64L * 64 * 16 + 2 * MIB);

        byte[] dicom = new byte[200]; // the Part 10 preamble: recognised as DICOM by its bytes
        System.arraycopy("DICM".getBytes(StandardCharsets.US_ASCII), 0, dicom, 128, 4);
        MemoryBudget.Cost full = MemoryBudget.Cost.of(dicom, new ImageFiles.Dimensions(3000, 2000), 128, "resnet50",
                224, true);
        assertThat(full.decodedPixels()).as("DICOM decodes in full").isEqualTo(3000L * 2000);
        assertThat(full.pixelBytes()).as("24 + 12 for a heat map").isEqualTo(3000L * 2000 * 36);
        assertThat(full.modelBytes()).isEqualTo(224L * 224 * 16 + 16 * MIB);
        assertThat(MemoryBudget.activationBytes("torchscript")).isEqualTo(32L * MIB);
    }

    @Test
    void theDefaultBudgetIsHalfTheHeapAtMostAQuarterOfTheMachineAtLeast256Mib() {
        assertThat(MemoryBudget.defaultBytes(4096L * MIB, 64L * 1024 * MIB)).isEqualTo(2048L * MIB);
        assertThat(MemoryBudget.defaultBytes(30L * 1024 * MIB, 16L * 1024 * MIB)).as("a quarter of 16 GiB")
                .isEqualTo(4096L * MIB);
        assertThat(MemoryBudget.defaultBytes(256L * MIB, 0)).as("machine unknown; floor").isEqualTo(256L * MIB);
        assertThat(MemoryBudget.defaultBytes(4096L * MIB, 0)).isEqualTo(2048L * MIB);
    }

    @Test
    void theDefaultPixelLimitIsTheLargestFullDecodeAndHeatMapWithinTheBudget() {
        long budget = 1024L * MIB;
        long model = 64L * 64 * 16 + 2 * MIB;
        assertThat(MemoryBudget.defaultMaxPixels(budget, "tiny_cnn", 64)).isEqualTo((budget - model) / 36)
                .isEqualTo(29_766_087L);
        MemoryBudget.Cost largest = new MemoryBudget.Cost(0, 29_766_087L, 29_766_087L * 36, model);
        assertThat(largest.total()).isLessThanOrEqualTo(budget);
        assertThat(MemoryBudget.defaultMaxPixels(MIB, "resnet50", 224)).as("at least 1").isEqualTo(1);
    }

    @Test
    void aTimedOutRequestKeepsItsReservationUntilItsWorkEndsAndOthersAreRefusedMeanwhile() throws Exception {
        MemoryBudget.Cost one = MemoryBudget.Cost.of(png, ImageFiles.dimensions(png, "png"),
                ImageEndpoints.READ_MARGIN * 64, "tiny_cnn", 64, false);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean first = new AtomicBoolean(true);
        Server.Settings settings = Server.Settings.defaults().withPort(0).withRequestTimeout(Duration.ofSeconds(1))
                .withMemoryBudget(one.total() * 3 / 2);
        try (Server server = start(settings, () -> {
            if (first.getAndSet(false)) { // a forward pass the engine cannot stop: holds on through the interrupt
                while (true) {
                    try {
                        release.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                    }
                }
                ended.countDown();
            }
        })) {
            JsonNode timedOut = ServerBoundsTest.json(ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict", png)), 503);
            assertThat(timedOut.get("code").asText()).isEqualTo("timeout");
            HttpResponse<String> refused = ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict", png));
            JsonNode busy = ServerBoundsTest.json(refused, 503);
            assertThat(busy.get("code").asText()).as("the timed-out request's work still holds its reservation")
                    .isEqualTo("memory_busy");
            assertThat(busy.get("message").asText()).contains("memory budget of " + MemoryBudget.mib(one.total() * 3 / 2))
                    .contains("--memory-budget-mb").doesNotContain("\n");
            assertThat(busy.get("requestId").asText()).isNotBlank();
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(interrupted.get()).as("the work was interrupted at the timeout, and went on").isTrue();
            assertThat(ended.getCount()).isEqualTo(1);

            release.countDown();
            assertThat(ended.await(10, TimeUnit.SECONDS)).isTrue();
            int status = 0;
            for (int i = 0; i < 50 && status != 200; i++) { // the work thread gives the reservation back just after
                status = ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict", png)).statusCode();
                Thread.sleep(status == 200 ? 0 : 100);
            }
            assertThat(status).as("served once the work has ended").isEqualTo(200);
            assertThat(ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/explain", png)).statusCode())
                    .as("every reservation given back: another fits").isEqualTo(200);
        }
    }

    @Test
    void anImageThatCouldNeverFitTheBudgetIs413WithTheRemedy() throws Exception {
        MemoryBudget.Cost one = MemoryBudget.Cost.of(png, ImageFiles.dimensions(png, "png"),
                ImageEndpoints.READ_MARGIN * 64, "tiny_cnn", 64, false);
        try (Server server = start(Server.Settings.defaults().withPort(0).withMemoryBudget(one.total() * 3 / 2)
                .withMaxPixels(40_000_000L), () -> { })) { // an explicit pixel limit over the budget's (which is 1 here)
            byte[] big = ServerBoundsTest.greyPng(255); // 255 < 2 x 128: decoded in full, 65025 x 24 bytes
            JsonNode tooBig = ServerBoundsTest.json(ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict", big)), 413);
            assertThat(tooBig.get("code").asText()).isEqualTo("over_memory_budget");
            assertThat(tooBig.get("message").asText()).startsWith("this image (decoded at 65025 pixels) needs about")
                    .contains("downscale the image, or start the service with a larger --memory-budget-mb");
            assertThat(ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict", png)).statusCode())
                    .as("a small one is served").isEqualTo(200);
            assertThat(ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict", ServerBoundsTest.greyPng(6000)))
                    .statusCode()).as("6000 x 6000 is read at 130 x 130 and fits").isEqualTo(200);
        }
    }

    @Test
    void theServerDerivesItsPixelLimitFromTheBudgetUnlessOneIsGiven() throws Exception {
        Server.Settings small = Server.Settings.defaults().withPort(0).withMemoryBudget(8L * MIB);
        long derived = (8L * MIB - 64L * 64 * 16 - 2 * MIB) / 36;
        assertThat(Server.maxPixels(small, pool)).isEqualTo(derived).isEqualTo(172_942L);
        assertThat(Server.maxPixels(small.withMaxPixels(40_000_000L), pool)).isEqualTo(40_000_000L);
        try (Server server = start(small, () -> { })) {
            JsonNode refused = ServerBoundsTest.json(ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict",
                    ServerBoundsTest.greyPng(420))), 413);
            assertThat(refused.get("code").asText()).as("420 x 420 = 176400 over 172942").isEqualTo("too_many_pixels");
            assertThat(refused.get("message").asText()).contains("limit of 172942 pixels");
            assertThat(ServerBoundsTest.send(ServerBoundsTest.upload(server, "/v1/predict", ServerBoundsTest.greyPng(415)))
                    .statusCode()).as("415 x 415 = 172225 within").isEqualTo(200);
        }
    }
}
