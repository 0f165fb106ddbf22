package io.pneuknow.guard;

import io.pneuknow.image.GreyImage;
import io.pneuknow.image.dicom.DicomHeader;
import io.pneuknow.model.ModelCard;
import io.pneuknow.transform.Preprocessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 *   <li>pixel statistics, where model.json has them ({@link ModelCard.InputStatistics}): each
 *       {@link PixelFeatures} feature of the preprocessed image (and the file's colour) outside the training
 *       images' 1st-99th percentile range widened by the factor chosen on the validation part (cards
 *       from before the features: mean or standard deviation outside the range widened by half its
 *       width, at least {@value #MIN_WIDENING});</li>
 *   <li>confidence: the largest class probability below the threshold given (a softer notice, not
 *       "out of scope": see {@link GuardWarning#outOfScope()}).</li>
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
    /** The widenings tried on the validation part, smallest first (multiples of a range's width). */
    public static final double[] WIDENINGS = {0, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5};
    /** The largest share of validation images the chosen widening may warn about. */
    public static final double VALIDATION_WARNED = 0.02;
    /** The widening when no validation images were given. */
    public static final double DEFAULT_WIDENING = 0.5;
    /** Each feature's least widening, in its own units (fixed, not fitted). */
    static final Map<String, Double> FLOORS = Map.of("mean", 0.03, "sd", 0.02, "dark", 0.02, "bright", 0.02,
            "entropy", 0.1, "edges", 0.005, "centre", 0.03, "border", 0.03, "colour", 0.03);
    private static final Map<String, String> DESCRIPTIONS = Map.of("mean", "grey mean", "sd", "grey standard deviation",
            "dark", "share of black pixels", "bright", "share of white pixels", "entropy", "grey-level entropy (bits)",
            "edges", "edge strength", "centre", "centre minus lung-band brightness", "border", "border minus mean brightness",
            "colour", "mean chroma");
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
        statistics(input, warnings);
        float max = 0;
        for (float p : probabilities) {
            max = Math.max(max, p);
        }
        if (max < minConfidence) {
            warnings.add(new GuardWarning(GuardWarning.LOW_CONFIDENCE, String.format(Locale.ROOT,
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

    private void statistics(InputImage input, List<GuardWarning> warnings) {
        ModelCard.InputStatistics s = card.inputStatistics();
        if (s == null) {
            return;
        }
        GreyImage prepared = card.preprocessing().prepare(input.image());
        if (s.ranges() == null) { // a card from before the pixel features: mean and spread only
            double[] ms = ModelCard.InputStatistics.meanAndSd(prepared);
            String mean = outside("mean", ms[0], s.meanLow(), s.meanHigh());
            String sd = outside("standard deviation", ms[1], s.sdLow(), s.sdHigh());
            if (mean != null || sd != null) {
                warnings.add(new GuardWarning("unlike_training", "unlike the training images: "
                        + (mean == null ? sd : sd == null ? mean : mean + "; " + sd)));
            }
            return;
        }
        Map<String, Double> features = PixelFeatures.of(prepared, input.colour());
        double widening = s.widening() == null ? DEFAULT_WIDENING : s.widening();
        List<String> unlike = new ArrayList<>();
        for (ModelCard.InputStatistics.Range range : s.ranges()) {
            Double value = features.get(range.feature());
            if (value == null || value.isNaN() || within(range, value, widening)) {
                continue;
            }
            String phrase = String.format(Locale.ROOT, "%s %.3f, training images %.3f-%.3f",
                    DESCRIPTIONS.getOrDefault(range.feature(), range.feature()), value, range.low(), range.high());
            if (range.feature().equals("colour")) {
                warnings.add(new GuardWarning("colour", "a colour image (" + phrase + "); the model is for grey radiographs"));
            } else {
                unlike.add(phrase);
            }
        }
        if (!unlike.isEmpty()) {
            warnings.add(new GuardWarning("unlike_training", "unlike the training images: " + String.join("; ", unlike)));
        }
    }

    /** Whether a value lies within the range widened by {@code widening} times its width, at least its floor. */
    static boolean within(ModelCard.InputStatistics.Range range, double value, double widening) {
        double widen = Math.max(range.floor(), widening * (range.high() - range.low()));
        return value >= range.low() - widen && value <= range.high() + widen;
    }

    /**
     * The statistics of training images for the guard: the pixel features' 1st-99th percentiles over at
     * most {@value #STATISTICS_IMAGES} training files (evenly spaced), and the widening: the smallest of
     * {@link #WIDENINGS} that leaves at most {@value #VALIDATION_WARNED} of the validation files (at most
     * {@value #STATISTICS_IMAGES} of them) outside a range; {@value #DEFAULT_WIDENING} without validation files.
     */
    public static ModelCard.InputStatistics trainingStatistics(List<Path> train, List<Path> validation,
                                                               Preprocessor preprocessor) {
        List<Map<String, Double>> trained = features(train, preprocessor);
        if (trained.isEmpty()) {
            throw new IllegalArgumentException("no images to take statistics from");
        }
        List<ModelCard.InputStatistics.Range> ranges = new ArrayList<>();
        for (String name : PixelFeatures.NAMES) {
            double[] values = trained.stream().mapToDouble(f -> f.get(name)).filter(v -> !Double.isNaN(v)).sorted().toArray();
            if (values.length > 0) {
                ranges.add(new ModelCard.InputStatistics.Range(name, ModelCard.InputStatistics.percentile(values, 0.01),
                        ModelCard.InputStatistics.percentile(values, 0.99), FLOORS.get(name)));
            }
        }
        List<Map<String, Double>> checked = features(validation, preprocessor);
        double widening = DEFAULT_WIDENING;
        Double warned = null;
        if (!checked.isEmpty()) {
            widening = WIDENINGS[WIDENINGS.length - 1];
            for (double w : WIDENINGS) {
                if (warnedShare(ranges, checked, w) <= VALIDATION_WARNED) {
                    widening = w;
                    break;
                }
            }
            warned = warnedShare(ranges, checked, widening);
        }
        ModelCard.InputStatistics.Range mean = ranges.get(0);
        ModelCard.InputStatistics.Range sd = ranges.get(1);
        return new ModelCard.InputStatistics(trained.size(), mean.low(), mean.high(), sd.low(), sd.high(), ranges,
                widening, checked.size(), warned);
    }

    /** The share of images with a feature outside its range widened by {@code w}. */
    private static double warnedShare(List<ModelCard.InputStatistics.Range> ranges, List<Map<String, Double>> images,
                                      double w) {
        long warned = images.stream().filter(f -> ranges.stream()
                .anyMatch(r -> !f.get(r.feature()).isNaN() && !within(r, f.get(r.feature()), w))).count();
        return (double) warned / images.size();
    }

    /** The pixel features of at most STATISTICS_IMAGES of the files, evenly spaced, decoded in parallel. */
    private static List<Map<String, Double>> features(List<Path> files, Preprocessor preprocessor) {
        int n = Math.min(files.size(), STATISTICS_IMAGES);
        List<Path> chosen = IntStream.range(0, n).mapToObj(i -> files.get((int) ((long) i * files.size() / n))).toList();
        return chosen.parallelStream().map(f -> {
            InputImage input = InputImage.read(f);
            return PixelFeatures.of(preprocessor.prepare(input.image()), input.colour());
        }).toList();
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
