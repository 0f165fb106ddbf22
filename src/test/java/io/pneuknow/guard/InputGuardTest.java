package io.pneuknow.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.Json;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.dicom.DicomHeader;
import io.pneuknow.model.ModelCard;
import io.pneuknow.transform.Preprocessor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InputGuardTest {
    private static final float[] CONFIDENT = {0.9f, 0.05f, 0.05f};

    /** Noise around 0.5 with sd about 0.1: like the "training images" of the card below. */
    private static GreyImage typical(int w, int h, long seed) {
        Random random = new Random(seed);
        float[] px = new float[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) Math.min(1, Math.max(0, 0.5 + 0.1 * random.nextGaussian()));
        }
        return new GreyImage(w, h, px);
    }

    private static ModelCard card(ModelCard.InputStatistics statistics) {
        ModelCard card = new ModelCard(ModelCard.FORMAT, "id", "model.params", "0".repeat(64), List.of("a", "b", "c"),
                "tiny_cnn", 1, 0f, Preprocessor.defaults(64, 1), "baseline", null, null, 1, "", null, null,
                ModelCard.INTENDED_USE, "adults", "", "", null);
        return statistics == null ? card : card.withInputStatistics(statistics);
    }

    private static ModelCard.InputStatistics trained() {
        return ModelCard.InputStatistics.of(List.of(typical(64, 64, 1), typical(64, 64, 2), typical(64, 64, 3)));
    }

    private static DicomHeader header(String view, Double age, String bodyPart, String modality) {
        return new DicomHeader(modality, view, null, bodyPart, age, 64, 64, 8, "MONOCHROME2", "1.2.840.10008.1.2.1", null);
    }

    private static List<String> codes(List<GuardWarning> warnings) {
        return warnings.stream().map(GuardWarning::code).toList();
    }

    @Test
    void aTypicalFrontalAdultImageGetsNoWarning() {
        InputGuard guard = new InputGuard(card(trained()), 0.5);
        assertThat(guard.check(new InputImage(typical(64, 64, 9), null), CONFIDENT)).isEmpty();
        assertThat(guard.check(new InputImage(typical(64, 64, 9), header("PA", 54.0, "CHEST", "DX")), CONFIDENT)).isEmpty();
    }

    @Test
    void dicomHeadersTellLateralViewsChildrenOtherBodyPartsAndModalities() {
        InputGuard guard = new InputGuard(card(null), 0.5);
        List<GuardWarning> warnings = guard.check(new InputImage(typical(64, 64, 9), header("LL", 5.0, "HAND", "MR")), CONFIDENT);
        assertThat(codes(warnings)).containsExactly("lateral_view", "paediatric", "not_chest", "modality");
        assertThat(warnings.get(0).message()).contains("View Position LL");
        assertThat(warnings.get(1).message()).contains("5.0 years");
    }

    @Test
    void bodyPartIsComparedIgnoringCaseAndSurroundingSpaces() {
        InputGuard guard = new InputGuard(card(null), 0.5);
        for (String chest : new String[] {"CHEST", "Chest", "chest ", " CHEST_PA"}) {
            assertThat(codes(guard.check(new InputImage(typical(64, 64, 9), header("PA", 54.0, chest, "DX")), CONFIDENT)))
                    .as(chest).isEmpty();
        }
        for (String knee : new String[] {"KNEE", "Knee", "knee"}) {
            List<GuardWarning> warnings = guard.check(new InputImage(typical(64, 64, 9), header("PA", 54.0, knee, "DX")),
                    CONFIDENT);
            assertThat(codes(warnings)).as(knee).containsExactly("not_chest");
            assertThat(warnings.get(0).message()).contains("Body Part Examined is " + knee.trim());
        }
    }

    @Test
    void sizeAspectStatisticsAndConfidence() {
        InputGuard guard = new InputGuard(card(trained()), 0.5);
        assertThat(codes(guard.check(new InputImage(typical(32, 32, 9), null), CONFIDENT))).containsExactly("small_image");
        assertThat(codes(guard.check(new InputImage(typical(200, 64, 9), null), CONFIDENT))).containsExactly("aspect");
        float[] white = new float[64 * 64];
        Arrays.fill(white, 1f);
        List<GuardWarning> blank = guard.check(new InputImage(new GreyImage(64, 64, white), null), CONFIDENT);
        assertThat(codes(blank)).containsExactly("unlike_training");
        assertThat(blank.get(0).message()).contains("mean 1.000").contains("standard deviation 0.000");
        assertThat(codes(guard.check(new InputImage(typical(64, 64, 9), null), new float[] {0.4f, 0.35f, 0.25f})))
                .containsExactly("low_confidence");
        // without statistics in the card the guard cannot compare, and says nothing about it
        assertThat(new InputGuard(card(null), 0.5).check(new InputImage(new GreyImage(64, 64, white), null), CONFIDENT)).isEmpty();
    }

    @Test
    void cardsWithAndWithoutStatisticsReadBack() throws Exception {
        ModelCard with = card(trained());
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(with), ModelCard.class).inputStatistics())
                .isEqualTo(with.inputStatistics());
        String old = Json.MAPPER.writeValueAsString(card(null)).replaceAll(",\\s*\"inputStatistics\"\\s*:\\s*null", "");
        assertThat(old).doesNotContain("inputStatistics");
        assertThat(Json.MAPPER.readValue(old, ModelCard.class).inputStatistics()).isNull();
    }
}
