package io.pneuknow.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalisationSummaryTest {
    private static final List<String> CLASSES = List.of("cavity", "healthy", "opacity");

    /**
     * Twelve cavity images of twelve patients, energy 0.2 on the first six and 0.6 on the rest, a hit
     * on every third; three opacity images; no healthy one.
     */
    private static Map<String, LocalisationScores> scores(List<Prediction> images) {
        Map<String, LocalisationScores> scores = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) {
            images.add(new Prediction("c" + i, "p" + i, 0, 0.5, 0.25, 0.25));
            scores.put("c" + i, new LocalisationScores(i < 6 ? 0.2 : 0.6, i % 3 == 0 ? 1 : 0, 0.1, 0.3));
        }
        for (int i = 0; i < 3; i++) {
            images.add(new Prediction("o" + i, "q" + i, 2, 0.25, 0.25, 0.5));
            scores.put("o" + i, new LocalisationScores(0.9, 1, 0.5, 0.7));
        }
        return scores;
    }

    @Test
    void meansOverallAndPerClassWithTheTooFewRule() {
        List<Prediction> images = new ArrayList<>();
        LocalisationSummary s = LocalisationSummary.of(images, scores(images), CLASSES, 200, 5);

        // energy (6 x 0.2 + 6 x 0.6 + 3 x 0.9) / 15 = 7.5 / 15; hits (4 + 3) / 15
        assertThat(s.energy().estimate()).isCloseTo(0.5, within(1e-12));
        assertThat(s.hitRate().estimate()).isCloseTo(7.0 / 15, within(1e-12));
        assertThat(s.iou().estimate()).isCloseTo((12 * 0.1 + 3 * 0.5) / 15, within(1e-12));
        assertThat(s.perClass()).containsOnlyKeys("cavity", "opacity");
        ClassLocalisation.Scored cavity = (ClassLocalisation.Scored) s.perClass().get("cavity");
        assertThat(cavity.images()).isEqualTo(12);
        assertThat(cavity.energy().estimate()).isCloseTo(0.4, within(1e-12));
        // every cavity image has IoU 0.1: each replicate's mean is 0.1, so is the interval
        assertThat(cavity.iou().lower()).isCloseTo(0.1, within(1e-12));
        assertThat(cavity.iou().upper()).isCloseTo(0.1, within(1e-12));
        // energies of 0.2 and 0.6 only: the interval lies strictly between them around 0.4
        assertThat(cavity.energy().lower()).isGreaterThan(0.2).isLessThan(0.4);
        assertThat(cavity.energy().upper()).isGreaterThan(0.4).isLessThan(0.6);
        assertThat(s.perClass().get("opacity"))
                .isEqualTo(new ClassLocalisation.TooFew("too few annotated images (3 < 10)"));
    }

    @Test
    void noImagesGiveNoFigures() {
        LocalisationSummary s = LocalisationSummary.of(List.of(), Map.of(), CLASSES, 200, 5);
        assertThat(s.energy()).isNull();
        assertThat(s.perClass()).isEmpty();
    }

    @Test
    void perClassIsWrittenAsFiguresOrReasonAndReadBack() throws Exception {
        List<Prediction> images = new ArrayList<>();
        LocalisationSummary s = LocalisationSummary.of(images, scores(images), CLASSES, 50, 5);
        String json = Json.MAPPER.writeValueAsString(s.perClass());

        var tree = Json.MAPPER.readTree(json);
        assertThat(tree.get("opacity").asText()).isEqualTo("too few annotated images (3 < 10)");
        List<String> keys = new ArrayList<>();
        tree.get("cavity").fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("images", "energy", "hitRate", "iou", "auprc");
        Map<String, ClassLocalisation> back = Json.MAPPER.readValue(json,
                Json.MAPPER.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, ClassLocalisation.class));
        assertThat(back).isEqualTo(s.perClass());
    }
}
