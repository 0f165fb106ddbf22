package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.serve.TinyModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pneuknow guard-check} end to end on the tiny model: the held-out part, the generated set, the report. */
class GuardCheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void measuresTheHeldOutPartAndTheGeneratedOutOfScopeSet() throws Exception {
        TinyModel tiny = TinyModel.train(dir);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "guard-check", "--model",
                tiny.model().toString(), "--radiographs", "2", "--out", dir.resolve("check").toString());
        assertThat(code).as(err.toString()).isZero();
        long testImages = Files.readAllLines(tiny.model().resolve("split.csv")).stream().filter(l -> l.endsWith(",test")).count();
        assertThat(testImages).isPositive();

        JsonNode report = Json.MAPPER.readTree(dir.resolve("check/guard-check.json").toFile());
        Map<String, JsonNode> rates = new HashMap<>();
        report.get("rates").forEach(r -> rates.put(r.get("set").asText(), r));
        assertThat(rates).containsKeys("held-out test part (" + testImages + " images)", "out-of-scope set, all",
                "out-of-scope: tiny", "out-of-scope: lateral", "out-of-scope: colour-photo", "out-of-scope: mr-slice");
        assertThat(rates.get("held-out test part (" + testImages + " images)").get("images").asLong()).isEqualTo(testImages);
        // 2 radiographs x 5 tiny sizes, inverted and lateral each; 10 of each of the 4 procedural groups
        assertThat(rates.get("out-of-scope set, all").get("images").asInt()).isEqualTo(2 * 7 + 40);
        JsonNode lateral = rates.get("out-of-scope: lateral");
        assertThat(lateral.get("outOfScope").asInt()).isEqualTo(2);
        assertThat(lateral.get("codes").get("lateral_view").asInt()).isEqualTo(2);
        JsonNode colour = rates.get("out-of-scope: colour-photo");
        assertThat(colour.get("codes").get("colour").asInt()).isEqualTo(10);
        // the 16-48 px images are smaller than the model's 64 px input
        assertThat(rates.get("out-of-scope: tiny").get("codes").get("small_image").asInt()).isEqualTo(8);
        // 2 of 2 flagged: Wilson 95 % interval by hand, centre (1 + z^2/4) / (1 + z^2/2) = 0.6712, half-width
        // z * sqrt(z^2/16) / (1 + z^2/2) = 0.3288 with z = 1.96
        assertThat(lateral.get("outOfScopeRate").asDouble()).isEqualTo(1.0);
        assertThat(lateral.get("outOfScopeInterval").get(0).asDouble()).isCloseTo(0.3424, within(1e-3));
        assertThat(lateral.get("outOfScopeInterval").get(1).asDouble()).isCloseTo(1.0, within(1e-9));
        assertThat(out.toString()).contains("| held-out test part (" + testImages + " images) | " + testImages + " |")
                .contains("guard: widening ");
    }
}
