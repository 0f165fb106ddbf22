package io.pneuknow.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.Json;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ModelCard;
import io.pneuknow.transform.Preprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard's pixel features, its ranges from training files with the widening chosen on validation files, and the out-of-scope set. */
class PixelFeaturesGuardTest {
    private static final float[] CONFIDENT = {0.9f, 0.05f, 0.05f};

    @TempDir
    Path dir;

    /** A crude frontal radiograph: dark lungs either side of a bright spine, a grey body, black outside it, noise. */
    static GreyImage radiograph(int side, long seed) {
        Random random = new Random(seed);
        float[] px = new float[side * side];
        double shift = random.nextGaussian() * 0.04;
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                double u = (double) x / side;
                double v = (double) y / side;
                double value = 0.05;
                if (u > 0.08 && u < 0.92) {
                    value = 0.6;
                    boolean lung = v > 0.15 && v < 0.8 && ((u > 0.18 && u < 0.4) || (u > 0.6 && u < 0.82));
                    value = lung ? 0.3 : Math.abs(u - 0.5) < 0.07 ? 0.85 : value;
                }
                px[y * side + x] = (float) Math.min(1, Math.max(0, value + shift + 0.04 * random.nextGaussian()));
            }
        }
        return new GreyImage(side, side, px);
    }

    private List<Path> files(String prefix, int n, long seed) throws Exception {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = dir.resolve(prefix + i + ".png");
            Files.write(f, OutOfScopeImages.png(radiograph(96, seed + i)));
            files.add(f);
        }
        return files;
    }

    private static List<String> codes(List<GuardWarning> warnings) {
        return warnings.stream().map(GuardWarning::code).toList();
    }

    private ModelCard card() throws Exception {
        ModelCard.InputStatistics statistics = InputGuard.trainingStatistics(files("train", 40, 100), files("val", 20, 500),
                Preprocessor.defaults(64, 1));
        return new ModelCard(ModelCard.FORMAT, "id", "model.params", "0".repeat(64), List.of("a", "b", "c"),
                "tiny_cnn", 1, 0f, Preprocessor.defaults(64, 1), "baseline", null, null, 1, "", null, null,
                ModelCard.INTENDED_USE, "adults", "", "", null).withInputStatistics(statistics);
    }

    @Test
    void rangesComeFromTrainingFilesAndTheWideningFromValidationFiles() throws Exception {
        ModelCard.InputStatistics s = card().inputStatistics();
        assertThat(s.images()).isEqualTo(40);
        assertThat(s.ranges()).extracting(ModelCard.InputStatistics.Range::feature).containsExactly(PixelFeatures.NAMES);
        assertThat(s.validationImages()).isEqualTo(20);
        assertThat(s.validationWarned()).isLessThanOrEqualTo(InputGuard.VALIDATION_WARNED);
        assertThat(s.widening()).isIn(0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0);
        ModelCard.InputStatistics.Range colour = s.ranges().get(8);
        assertThat(colour.high()).as("grey PNGs have no chroma").isZero();
        ModelCard.InputStatistics.Range centre = s.ranges().get(6);
        assertThat(centre.low()).as("the spine is brighter than the lungs").isGreaterThan(0.2);
    }

    @Test
    void colourTextMrLikeAndInvertedImagesAreOutOfScopeATypicalOneIsNot() throws Exception {
        InputGuard guard = new InputGuard(card(), 0.5);
        GreyImage typical = radiograph(96, 9000);
        assertThat(guard.check(InputImage.decode(OutOfScopeImages.png(typical), "typical"), CONFIDENT)).isEmpty();

        float[] inverted = typical.pixels().clone();
        for (int i = 0; i < inverted.length; i++) {
            inverted[i] = 1 - inverted[i];
        }
        List<GuardWarning> invertedWarnings = guard.check(
                InputImage.decode(OutOfScopeImages.png(new GreyImage(96, 96, inverted)), "inverted"), CONFIDENT);
        assertThat(codes(invertedWarnings)).containsExactly("unlike_training");
        assertThat(invertedWarnings.get(0).message()).contains("centre minus lung-band brightness");
        assertThat(invertedWarnings.get(0).outOfScope()).isTrue();

        Random random = new Random(3);
        for (OutOfScopeImages.Item item : OutOfScopeImages.make(List.of(radiograph(256, 1)), 7)) {
            List<GuardWarning> warnings = guard.check(InputImage.decode(item.bytes(), item.name()), CONFIDENT);
            assertThat(warnings).as(item.group() + " " + item.name()).anyMatch(GuardWarning::outOfScope);
            if (item.group().startsWith("colour")) {
                assertThat(codes(warnings)).as(item.name()).contains("colour");
            }
            if (item.group().equals("lateral")) {
                assertThat(codes(warnings)).contains("lateral_view");
            }
        }
        // a colour photograph's chroma is measured before grey conversion
        BufferedImage red = new BufferedImage(96, 96, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 96; y++) {
            for (int x = 0; x < 96; x++) {
                red.setRGB(x, y, 0xc04040 + random.nextInt(8));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(red, "png", png);
        assertThat(PixelFeatures.colour(png.toByteArray())).isCloseTo(0x80 / 255.0, within(0.02));
        assertThat(PixelFeatures.colour(OutOfScopeImages.png(typical))).isZero();
    }

    @Test
    void lowConfidenceIsASofterNoticeNotOutOfScope() throws Exception {
        List<GuardWarning> warnings = new InputGuard(card(), 0.5)
                .check(InputImage.decode(OutOfScopeImages.png(radiograph(96, 9001)), "typical"), new float[] {0.4f, 0.3f, 0.3f});
        assertThat(codes(warnings)).containsExactly("low_confidence");
        assertThat(warnings.get(0).outOfScope()).isFalse();
        assertThat(GuardRate.of("x", List.of(warnings, List.of())).outOfScope()).isZero();
        assertThat(GuardRate.of("x", List.of(warnings, List.of())).anyWarning()).isEqualTo(1);
    }

    @Test
    void generatedLateralDicomIsReadThroughTheHeaderPath() {
        byte[] dicom = OutOfScopeImages.dicom(radiograph(64, 1), "RL");
        InputImage input = InputImage.decode(dicom, "lateral.dcm");
        assertThat(input.header().viewPosition()).isEqualTo("RL");
        assertThat(input.header().lateralView()).isTrue();
        assertThat(input.image().width()).isEqualTo(64);
        assertThat(input.colour()).isZero();
    }

    @Test
    void wilsonIntervalMatchesTheFormula() {
        double[] ci = GuardRate.wilson(3, 117);
        assertThat(ci[0]).isCloseTo(0.00876, within(0.0002));
        assertThat(ci[1]).isCloseTo(0.07272, within(0.0002));
        assertThat(GuardRate.wilson(0, 10)[0]).isZero();
        assertThat(GuardRate.wilson(10, 10)[1]).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void statisticsWithFeaturesReadBackAndOldOnesStillLoad() throws Exception {
        ModelCard with = card();
        ModelCard back = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(with), ModelCard.class);
        assertThat(back.inputStatistics()).isEqualTo(with.inputStatistics());
        String old = "{\"images\":3,\"meanLow\":0.4,\"meanHigh\":0.6,\"sdLow\":0.05,\"sdHigh\":0.15}";
        ModelCard.InputStatistics oldStatistics = Json.MAPPER.readValue(old, ModelCard.InputStatistics.class);
        assertThat(oldStatistics.ranges()).isNull();
        assertThat(oldStatistics.widening()).isNull();
        // an old card's guard checks mean and spread only: a colour image with a radiograph's grey levels passes
        ModelCard.InputStatistics s = with.inputStatistics();
        ModelCard oldCard = with.withInputStatistics(new ModelCard.InputStatistics(s.images(), s.meanLow(), s.meanHigh(),
                s.sdLow(), s.sdHigh()));
        GreyImage typical = radiograph(96, 9002);
        assertThat(new InputGuard(oldCard, 0.5).check(new InputImage(typical, null, 0.5), CONFIDENT)).isEmpty();
        assertThat(codes(new InputGuard(with, 0.5).check(new InputImage(typical, null, 0.5), CONFIDENT))).containsExactly("colour");
    }
}
