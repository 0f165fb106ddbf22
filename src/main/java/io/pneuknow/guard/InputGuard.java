package io.pneuknow.guard;

import io.pneuknow.data.GreyImage;
import io.pneuknow.data.ImageFiles;
import io.pneuknow.dicom.DicomHeader;
import io.pneuknow.model.ModelCard;
import io.pneuknow.transform.Preprocessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Checks, per image, what can be told about whether it belongs to the population a model was trained
 * for (frontal adult chest radiographs like the training images), and says why not in
 * {@link GuardWarning}s. It only warns; the prediction is still made. What it looks at:
 *
 * <ul>
 *   <li>DICOM headers: a lateral view (View Position, else Patient Orientation), an age under 18
 *       (Patient Age), a Body Part Examined other than CHEST, a modality other than CR, DX or DR;</li>
 *   <li>size: a shorter side below the model's input size (the image would be enlarged), or an aspect
 *       ratio beyond {@value #MAX_ASPECT} : 1;</li>
 *   <li>pixel statistics, where model.json has them ({@link ModelCard.InputStatistics}): the mean or
 *       standard deviation of the preprocessed pixels outside the training images' 1st-99th
 *       percentile range widened by half its width (at least {@value #MIN_WIDENING});</li>
 *   <li>confidence: the largest class probability below the threshold given.</li>
 * </ul>
 *
 * Images without headers (PNG, JPEG) cannot show view or age; the guard is silent about what it cannot
 * see. Thread-safe (no mutable state).
 */
public final class InputGuard {
    /** The largest accepted ratio of the longer to the shorter side. */
    public static final double MAX_ASPECT = 1.5;
    /** The least widening of the training statistics' ranges (in grey values, 0-1). */
    public static final double MIN_WIDENING = 0.05;
    /** The default threshold on the largest class probability. */
    public static final double DEFAULT_MIN_CONFIDENCE = 0.5;
    /** The most training images {@link #trainingStatistics} reads. */
    public static final int STATISTICS_IMAGES = 500;
    private static final Set<String> RADIOGRAPHY = Set.of("CR", "DX", "DR");

    private final ModelCard card;
    private final double minConfidence;

    public InputGuard(ModelCard card, double minConfidence) {
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw new IllegalArgumentException("minConfidence must be in [0, 1]: " + minConfidence);
        }
        this.card = card;
        this.minConfidence = minConfidence;
    }

    /** Every warning for an image and the model's probabilities for it (empty when nothing looks wrong). */
    public List<GuardWarning> check(InputImage input, float[] probabilities) {
        List<GuardWarning> warnings = new ArrayList<>();
        if (input.header() != null) {
            header(input.header(), warnings);
        }
        size(input.image(), warnings);
        statistics(input.image(), warnings);
        float max = 0;
        for (float p : probabilities) {
            max = Math.max(max, p);
        }
        if (max < minConfidence) {
            warnings.add(new GuardWarning("low_confidence", String.format(Locale.ROOT,
                    "low confidence: the largest class probability is %.2f, below %.2f", max, minConfidence)));
        }
        return warnings;
    }

    private static void header(DicomHeader h, List<GuardWarning> warnings) {
        if (h.lateralView()) {
            warnings.add(new GuardWarning("lateral_view", "lateral view ("
                    + (h.viewPosition() != null ? "View Position " + h.viewPosition()
                    : "Patient Orientation " + h.patientOrientation()) + "); the model is for frontal views"));
        }
        if (h.paediatric()) {
            warnings.add(new GuardWarning("paediatric", String.format(Locale.ROOT,
                    "patient age %.1f years (Patient Age); the model is for adults", h.patientAgeYears())));
        }
        String bodyPart = h.bodyPartExamined() == null ? null : h.bodyPartExamined().trim();
        if (bodyPart != null && !bodyPart.isEmpty() && !bodyPart.toUpperCase(Locale.ROOT).contains("CHEST")) {
            warnings.add(new GuardWarning("not_chest", "Body Part Examined is " + bodyPart
                    + "; the model is for chest radiographs"));
        }
        if (h.modality() != null && !RADIOGRAPHY.contains(h.modality())) {
            warnings.add(new GuardWarning("modality", "modality " + h.modality()
                    + "; the model is for radiographs (CR, DX)"));
        }
    }

    private void size(GreyImage image, List<GuardWarning> warnings) {
        int shorter = Math.min(image.width(), image.height());
        int longer = Math.max(image.width(), image.height());
        int input = card.preprocessing().inputSize();
        if (shorter < input) {
            warnings.add(new GuardWarning("small_image", image.width() + "x" + image.height()
                    + " pixels, smaller than the model's input of " + input + " px a side; the image is enlarged"));
        }
        if ((double) longer / shorter > MAX_ASPECT) {
            warnings.add(new GuardWarning("aspect", String.format(Locale.ROOT,
                    "aspect ratio %.2f (%dx%d pixels); chest radiographs are close to square, below %.1f",
                    (double) longer / shorter, image.width(), image.height(), MAX_ASPECT)));
        }
    }

    private void statistics(GreyImage image, List<GuardWarning> warnings) {
        ModelCard.InputStatistics s = card.inputStatistics();
        if (s == null) {
            return;
        }
        double[] ms = ModelCard.InputStatistics.meanAndSd(card.preprocessing().prepare(image));
        String mean = outside("mean", ms[0], s.meanLow(), s.meanHigh());
        String sd = outside("standard deviation", ms[1], s.sdLow(), s.sdHigh());
        if (mean != null || sd != null) {
            warnings.add(new GuardWarning("unlike_training", "unlike the training images: "
                    + (mean == null ? sd : sd == null ? mean : mean + "; " + sd)));
        }
    }

    /**
     * The input statistics of training images: at most {@value #STATISTICS_IMAGES} of the files, evenly
     * spaced, decoded in parallel and prepared as the model prepares its input.
     */
    public static ModelCard.InputStatistics trainingStatistics(List<Path> files, Preprocessor preprocessor) {
        int n = Math.min(files.size(), STATISTICS_IMAGES);
        List<Path> chosen = IntStream.range(0, n).mapToObj(i -> files.get((int) ((long) i * files.size() / n))).toList();
        List<GreyImage> prepared = chosen.parallelStream()
                .map(f -> preprocessor.prepare(ImageFiles.read(f))).toList();
        return ModelCard.InputStatistics.of(prepared);
    }

    /** A phrase when the value lies outside [low, high] widened by half the range (at least MIN_WIDENING); else null. */
    static String outside(String what, double value, double low, double high) {
        double widen = Math.max(MIN_WIDENING, (high - low) / 2);
        if (value >= low - widen && value <= high + widen) {
            return null;
        }
        return String.format(Locale.ROOT, "grey %s %.3f, training images %.3f-%.3f", what, value, low, high);
    }
}
