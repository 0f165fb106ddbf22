package io.pneuknow.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Writes a synthetic annotated chest-X-ray-like data set to disk: PNG images, labels.csv,
 * regions.csv and lesion mask PNGs, in the same layout as a real data set, so that tests and the
 * demo exercise the whole disk path.
 *
 * <p>Each image shows a body, two dark lung fields, a mediastinum and noise. The class shows only
 * in a lesion inside a lung: {@code healthy} has none, {@code opacity} a round opacity brighter
 * than the lung, {@code cavity} a round lucency darker than it. The radiologist's region is the
 * lesion (box and mask). A misleading cue lies outside the body: a grey marker whose corner names a
 * class. In the train and val parts the marker agrees with the label; in the test part its class
 * is drawn at random, so a model that learned the marker instead of the lesion fails there. The
 * split is given in column {@code split}; {@code cue_class} and {@code cue_agrees} say where the
 * marker pointed. {@code cueLevel} is the marker's grey level (background 0.08): the brighter, the
 * easier the shortcut.
 *
 * <p>Other shortcut kinds ({@link ShortcutKind}: text, a laterality tag, a border, a corner pattern, a
 * texture or brightness change outside the lungs) replace the marker; each is painted only outside
 * the protected area, the lung boxes widened by 4% of the side plus every lesion box, so it never
 * lies inside a region written to regions.csv. For them (and for the marker with lesion variety) the
 * test part's cue classes are balanced per class (each cue class equally often, shuffled), so the cue
 * is independent of the class in counts, not only in expectation. With {@code lesionVariety} a
 * pathological image has one to three lesions, each an ellipse of its own size (3.5 to 9% of the
 * side), aspect, orientation and contrast, smooth or mottled (opacity), plain or with a bright rim
 * (cavity); each lesion is a region of its own. The default task (marker, no variety) is drawn
 * exactly as before these options existed (same files for the same seed).
 */
public final class SyntheticChestXrays {
    /** Class names in label order. */
    public static final List<String> CLASSES = List.of("cavity", "healthy", "opacity");

    /**
     * What to generate. {@code unannotatedFraction} of the pathological train images get no region
     * (to exercise the policy for images without annotation). {@code shortcut} is the misleading cue's
     * kind and {@code cueLevel} its strength: the grey level of a drawn cue (marker, text, tag, border,
     * corner pattern); 0.1 x it is the amplitude of the texture outside the lungs, 0.15 x it the
     * brightness shift outside the lungs. {@code lesionVariety}: one to three lesions of varied size
     * and appearance per pathological image instead of one round lesion.
     */
    public record Spec(int size, int trainPerClass, int valPerClass, int testPerClass,
                       double unannotatedFraction, double cueLevel, long seed, ShortcutKind shortcut,
                       boolean lesionVariety) {
        /** Checks that a shortcut kind is given. */
        public Spec {
            if (shortcut == null) {
                throw new IllegalArgumentException("a synthetic spec needs a shortcut kind (ShortcutKind.MARKER for the original task)");
            }
        }

        /** The marker task with one lesion per pathological image (the original generator). */
        public Spec(int size, int trainPerClass, int valPerClass, int testPerClass,
                    double unannotatedFraction, double cueLevel, long seed) {
            this(size, trainPerClass, valPerClass, testPerClass, unannotatedFraction, cueLevel, seed,
                    ShortcutKind.MARKER, false);
        }

        /** This spec with another shortcut kind. */
        public Spec withShortcut(ShortcutKind kind) {
            return new Spec(size, trainPerClass, valPerClass, testPerClass, unannotatedFraction, cueLevel, seed,
                    kind, lesionVariety);
        }

        /** This spec with lesion variety on or off. */
        public Spec withLesionVariety(boolean variety) {
            return new Spec(size, trainPerClass, valPerClass, testPerClass, unannotatedFraction, cueLevel, seed,
                    shortcut, variety);
        }

        /** Whether this is the original task (marker, one lesion), drawn exactly as before the other kinds existed. */
        boolean original() {
            return shortcut == ShortcutKind.MARKER && !lesionVariety;
        }

        /** The default marker grey level, a shortcut that plain training takes (see docs/results.md). */
        public static final double CUE_LEVEL = 0.7;

        /** The shortcut task of the mechanism test and the demo: 64 px, 80/20/40 images per class. */
        public static Spec shortcutTask(long seed) {
            return new Spec(64, 80, 20, 40, 0.1, CUE_LEVEL, seed);
        }

        /**
         * The shortcut task of the heat-map mechanism test: the counts of {@link #shortcutTask} at
         * 128 px (every shape scales with the side), so that tiny_cnn's feature maps are 8 x 8 after
         * its fourth stage, and a white marker (level 1.0), a shortcut that plain training takes at this
         * size too (at 0.7 and 20 epochs the baseline was right on 73% of the test images with a
         * lesion, seed 1; at 1.0 on 48%).
         */
        public static Spec heatMapTask(long seed) {
            return new Spec(128, 80, 20, 40, 0.1, 1.0, seed);
        }
    }

    private SyntheticChestXrays() {
    }

    /**
     * Cue classes of the test part, per class {@code [class][i]}: each cue class equally often (up to
     * one), in an order shuffled from {@code seed}, so the cue is independent of the class in counts.
     */
    static int[][] balancedTestCues(int perClass, long seed) {
        SplittableRandom rng = new SplittableRandom(seed ^ 0x7E57C0E5L);
        int[][] cues = new int[CLASSES.size()][perClass];
        for (int c = 0; c < CLASSES.size(); c++) {
            for (int i = 0; i < perClass; i++) {
                cues[c][i] = (i + c) % CLASSES.size();
            }
            for (int i = perClass - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int tmp = cues[c][i];
                cues[c][i] = cues[c][j];
                cues[c][j] = tmp;
            }
        }
        return cues;
    }

    /** Generates the data set into {@code dir} (created if needed) and returns {@code dir}. */
    public static Path generate(Path dir, Spec spec) {
        try {
            Files.createDirectories(dir.resolve("images"));
            Files.createDirectories(dir.resolve("masks"));
            List<String> labels = new ArrayList<>();
            List<String> regions = new ArrayList<>();
            labels.add("image_id,file,class,patient_id,split,cue_class,cue_agrees");
            regions.add("image_id,file,region_type,label,x,y,w,h,mask_file");
            SplittableRandom root = new SplittableRandom(spec.seed());
            int[][] testCues = spec.original() ? null : balancedTestCues(spec.testPerClass(), spec.seed());
            int counter = 0;
            String[] parts = {"train", "val", "test"};
            int[] perClass = {spec.trainPerClass(), spec.valPerClass(), spec.testPerClass()};
            for (int p = 0; p < parts.length; p++) {
                for (int i = 0; i < perClass[p]; i++) {
                    for (int c = 0; c < CLASSES.size(); c++) {
                        SplittableRandom rng = root.split();
                        String id = String.format("syn_%05d", counter++);
                        // two consecutive images of a class in one part share a patient
                        String patient = String.format("pat_%s_%d_%03d", parts[p], c, i / 2);
                        int cue;
                        if (!parts[p].equals("test")) {
                            cue = c;
                        } else {
                            cue = testCues == null ? rng.nextInt(CLASSES.size()) : testCues[c][i];
                        }
                        boolean annotate = !parts[p].equals("train") || rng.nextDouble() >= spec.unannotatedFraction();
                        Drawn drawn = draw(spec.size(), CLASSES.get(c), cue, spec.cueLevel(), spec.shortcut(),
                                spec.lesionVariety(), rng);
                        String file = "images/" + id + ".png";
                        writePng(dir.resolve(file), drawn.pixels(), spec.size());
                        labels.add(String.join(",", id, file, CLASSES.get(c), patient, parts[p],
                                CLASSES.get(cue), cue == c ? "1" : "0"));
                        for (int k = 0; annotate && k < drawn.lesionMasks().size(); k++) {
                            String maskFile = "masks/" + id + (spec.lesionVariety() ? "_lesion" + (k + 1) : "_lesion") + ".png";
                            writeMask(dir.resolve(maskFile), drawn.lesionMasks().get(k), spec.size());
                            int[] b = drawn.lesionBoxes().get(k);
                            regions.add(String.join(",", id, file, "lesion", CLASSES.get(c),
                                    Integer.toString(b[0]), Integer.toString(b[1]),
                                    Integer.toString(b[2]), Integer.toString(b[3]), maskFile));
                        }
                        for (int[] lung : drawn.lungBoxes()) {
                            regions.add(String.join(",", id, file, "anatomy", lung == drawn.lungBoxes().get(0)
                                    ? "lung_right" : "lung_left", Integer.toString(lung[0]), Integer.toString(lung[1]),
                                    Integer.toString(lung[2]), Integer.toString(lung[3]), ""));
                        }
                    }
                }
            }
            writeLines(dir.resolve("labels.csv"), labels);
            writeLines(dir.resolve("regions.csv"), regions);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write synthetic data to " + dir, e);
        }
    }

    /**
     * The square {@link #generate} paints as the cue marker naming class {@code cueClass} (index in
     * {@link #CLASSES}) on a {@code size}-pixel image: top left for cavity, top right for healthy,
     * bottom left for opacity. The same arithmetic as the drawing code.
     */
    public static Box cueMarker(int size, int cueClass) {
        if (cueClass < 0 || cueClass >= CLASSES.size()) {
            throw new IllegalArgumentException("cue class " + cueClass + " must be in 0.." + (CLASSES.size() - 1));
        }
        int m = Math.max(2, Math.round(size * 0.05f));
        int margin = Math.max(1, Math.round(size * 0.03f));
        int mx = cueClass == 1 ? size - margin - m : margin;
        int my = cueClass == 2 ? size - margin - m : margin;
        return new Box(mx, my, m, m);
    }

    /**
     * Pixels in [0,1], the lesion masks and their boxes {x,y,w,h} (one each per lesion; none for
     * healthy), the two lung boxes, and the protected area the cue may not touch (null for the marker).
     */
    record Drawn(float[] pixels, List<boolean[]> lesionMasks, List<int[]> lesionBoxes, List<int[]> lungBoxes,
                 boolean[] protectedPixels) {
    }

    /** The original task's drawing: a marker and one round lesion. */
    static Drawn draw(int s, String className, int cueClass, double cueLevel, SplittableRandom rng) {
        return draw(s, className, cueClass, cueLevel, ShortcutKind.MARKER, false, rng);
    }

    /**
     * One image. The random draws of the original task (marker, no variety) are unchanged; another
     * kind draws its cue from a generator split off {@code rng} at a fixed point, so the same
     * {@code rng} state gives the same image apart from the cue, whatever the cue class.
     */
    static Drawn draw(int s, String className, int cueClass, double cueLevel, ShortcutKind kind,
                      boolean lesionVariety, SplittableRandom rng) {
        float[] px = new float[s * s];
        double jitter = 0.03 * s;
        double bodyCx = s * 0.5 + rng.nextDouble(-jitter, jitter);
        double bodyCy = s * 0.56 + rng.nextDouble(-jitter, jitter);
        double[][] lungs = new double[2][];
        for (int k = 0; k < 2; k++) {
            double cx = bodyCx + (k == 0 ? -1 : 1) * s * 0.17 + rng.nextDouble(-jitter, jitter) * 0.5;
            double cy = bodyCy - s * 0.06 + rng.nextDouble(-jitter, jitter) * 0.5;
            double rx = s * (0.12 + rng.nextDouble(0, 0.02));
            double ry = s * (0.25 + rng.nextDouble(0, 0.03));
            lungs[k] = new double[] {cx, cy, rx, ry};
        }
        double gain = rng.nextDouble(0.85, 1.15);
        double offset = rng.nextDouble(-0.05, 0.05);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                double v = 0.08;
                if (inEllipse(x, y, bodyCx, bodyCy, s * 0.44, s * 0.46)) {
                    v = 0.48;
                    if (Math.abs(x - bodyCx) < s * 0.05) {
                        v = 0.62; // mediastinum and spine
                    }
                    for (double[] l : lungs) {
                        if (inEllipse(x, y, l[0], l[1], l[2], l[3])) {
                            // lung field with faint rib shadows
                            v = 0.22 + 0.04 * Math.max(0, Math.sin(2 * Math.PI * y / (s * 0.09)));
                        }
                    }
                }
                px[y * s + x] = (float) (v * gain + offset);
            }
        }
        List<boolean[]> masks = new ArrayList<>();
        List<int[]> boxes = new ArrayList<>();
        if (!className.equals("healthy")) {
            boolean opacity = className.equals("opacity");
            if (!lesionVariety) {
                double[] lung = lungs[rng.nextInt(2)];
                double angle = rng.nextDouble(0, 2 * Math.PI);
                double radius = rng.nextDouble(0, 0.5);
                double cx = lung[0] + Math.cos(angle) * radius * lung[2];
                double cy = lung[1] + Math.sin(angle) * radius * lung[3];
                double r = s * rng.nextDouble(0.06, 0.08);
                double amplitude = rng.nextDouble(0.25, 0.35) * (opacity ? 1 : -1);
                addLesion(px, s, masks, boxes, cx, cy, r, r, 0, d -> amplitude * Math.exp(-d * d * 1.5));
            } else {
                int count = 1 + rng.nextInt(3);
                for (int k = 0; k < count; k++) {
                    double[] lung = lungs[rng.nextInt(2)];
                    double angle = rng.nextDouble(0, 2 * Math.PI);
                    double radius = rng.nextDouble(0, 0.4);
                    double cx = lung[0] + Math.cos(angle) * radius * lung[2];
                    double cy = lung[1] + Math.sin(angle) * radius * lung[3];
                    double ra = s * rng.nextDouble(0.035, 0.09);
                    double rb = ra * rng.nextDouble(0.6, 1.0);
                    double theta = rng.nextDouble(0, Math.PI);
                    double a = rng.nextDouble(0.15, 0.35);
                    boolean second = rng.nextBoolean();
                    double f1 = rng.nextDouble(0.5, 1.5) / ra;
                    double f2 = rng.nextDouble(0.5, 1.5) / ra;
                    double p1 = rng.nextDouble(0, 2 * Math.PI);
                    double p2 = rng.nextDouble(0, 2 * Math.PI);
                    LesionProfile profile;
                    if (opacity && !second) {
                        profile = d -> a * Math.exp(-d * d * 1.5); // smooth opacity
                    } else if (opacity) {
                        profile = null; // mottled opacity: drawn below, depends on the position
                    } else if (!second) {
                        profile = d -> -a * Math.exp(-d * d * 1.5); // plain lucency
                    } else {
                        // cavity with a wall: dark centre, bright rim
                        profile = d -> -a * Math.exp(-d * d * 2.5) + 0.5 * a * Math.exp(-Math.pow((d - 0.85) / 0.18, 2));
                    }
                    if (profile != null) {
                        addLesion(px, s, masks, boxes, cx, cy, ra, rb, theta, profile);
                    } else {
                        addMottled(px, s, masks, boxes, cx, cy, ra, rb, theta, a, f1, f2, p1, p2);
                    }
                }
            }
        }
        List<int[]> lungBoxes = new ArrayList<>();
        for (double[] l : lungs) {
            int lx = (int) Math.max(0, Math.floor(l[0] - l[2]));
            int ly = (int) Math.max(0, Math.floor(l[1] - l[3]));
            int rx = (int) Math.min(s, Math.ceil(l[0] + l[2]));
            int ry = (int) Math.min(s, Math.ceil(l[1] + l[3]));
            lungBoxes.add(new int[] {lx, ly, rx - lx, ry - ly});
        }
        boolean[] protectedPixels = null;
        if (kind == ShortcutKind.MARKER) {
            // the misleading cue: a grey marker in a corner that names a class
            int m = Math.max(2, Math.round(s * 0.05f));
            int margin = Math.max(1, Math.round(s * 0.03f));
            int mx = cueClass == 1 ? s - margin - m : margin;
            int my = cueClass == 2 ? s - margin - m : margin;
            for (int y = my; y < my + m; y++) {
                for (int x = mx; x < mx + m; x++) {
                    px[y * s + x] = (float) cueLevel;
                }
            }
        } else {
            SplittableRandom cueRng = rng.split();
            protectedPixels = protectedArea(s, lungBoxes, boxes);
            ShortcutCues.paint(kind, new ShortcutCues.Canvas(px, s, protectedPixels, bodyCx, bodyCy, s * 0.44, s * 0.46),
                    cueClass, cueLevel, cueRng);
        }
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) Math.min(1, Math.max(0, px[i] + rng.nextGaussian() * 0.03));
        }
        return new Drawn(px, masks, boxes, lungBoxes, protectedPixels);
    }

    /** A lesion's added grey level as a function of its normalised elliptical distance from the centre. */
    private interface LesionProfile {
        double at(double d);
    }

    /**
     * The pixels no cue may touch on an {@code s}-pixel image: each lung box widened by 4% of the side
     * (so that lesions near a lung's edge stay inside whatever lesion is drawn) and each lesion box.
     */
    static boolean[] protectedArea(int s, List<int[]> lungBoxes, List<int[]> lesionBoxes) {
        boolean[] out = new boolean[s * s];
        int widen = (int) Math.ceil(s * 0.04);
        for (int[] b : lungBoxes) {
            mark(out, s, b[0] - widen, b[1] - widen, b[2] + 2 * widen, b[3] + 2 * widen);
        }
        for (int[] b : lesionBoxes) {
            mark(out, s, b[0], b[1], b[2], b[3]);
        }
        return out;
    }

    private static void mark(boolean[] area, int s, int x, int y, int w, int h) {
        for (int yy = Math.max(0, y); yy < Math.min(s, y + h); yy++) {
            for (int xx = Math.max(0, x); xx < Math.min(s, x + w); xx++) {
                area[yy * s + xx] = true;
            }
        }
    }

    /** Adds an elliptical lesion (semi-axes ra, rb, turned by theta) to the pixels; its mask is where d <= 1.05. */
    private static void addLesion(float[] px, int s, List<boolean[]> masks, List<int[]> boxes, double cx, double cy,
                                  double ra, double rb, double theta, LesionProfile profile) {
        boolean[] mask = new boolean[s * s];
        int x0 = s;
        int y0 = s;
        int x1 = -1;
        int y1 = -1;
        double cos = Math.cos(theta);
        double sin = Math.sin(theta);
        boolean round = ra == rb && theta == 0;
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                double d;
                if (round) {
                    d = Math.hypot(x - cx, y - cy) / ra; // the original lesion's arithmetic, bit for bit
                } else {
                    double u = (x - cx) * cos + (y - cy) * sin;
                    double v = -(x - cx) * sin + (y - cy) * cos;
                    d = Math.hypot(u / ra, v / rb);
                }
                px[y * s + x] += (float) profile.at(d);
                if (d <= 1.05) {
                    mask[y * s + x] = true;
                    x0 = Math.min(x0, x);
                    y0 = Math.min(y0, y);
                    x1 = Math.max(x1, x);
                    y1 = Math.max(y1, y);
                }
            }
        }
        if (x1 >= 0) {
            masks.add(mask);
            boxes.add(new int[] {x0, y0, x1 - x0 + 1, y1 - y0 + 1});
        }
    }

    /** A mottled opacity: a smooth blob times a patchy pattern of two crossed waves. */
    private static void addMottled(float[] px, int s, List<boolean[]> masks, List<int[]> boxes, double cx, double cy,
                                   double ra, double rb, double theta, double a, double f1, double f2, double p1, double p2) {
        float[] pattern = new float[s * s];
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                double waves = Math.sin(2 * Math.PI * f1 * x + p1) * Math.sin(2 * Math.PI * f2 * y + p2);
                pattern[y * s + x] = (float) (0.55 + 0.45 * waves);
            }
        }
        float[] blob = new float[s * s];
        addLesion(blob, s, masks, boxes, cx, cy, ra, rb, theta, d -> a * 1.2 * Math.exp(-d * d * 1.5));
        for (int i = 0; i < px.length; i++) {
            px[i] += blob[i] * pattern[i];
        }
    }

    private static boolean inEllipse(double x, double y, double cx, double cy, double rx, double ry) {
        double dx = (x - cx) / rx;
        double dy = (y - cy) / ry;
        return dx * dx + dy * dy <= 1;
    }

    private static void writePng(Path file, float[] pixels, int s) throws IOException {
        BufferedImage img = new BufferedImage(s, s, BufferedImage.TYPE_BYTE_GRAY);
        var raster = img.getRaster();
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                raster.setSample(x, y, 0, Math.round(pixels[y * s + x] * 255));
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }

    private static void writeMask(Path file, boolean[] mask, int s) throws IOException {
        BufferedImage img = new BufferedImage(s, s, BufferedImage.TYPE_BYTE_GRAY);
        var raster = img.getRaster();
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                raster.setSample(x, y, 0, mask[y * s + x] ? 255 : 0);
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }

    private static void writeLines(Path file, List<String> lines) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (String line : lines) {
                w.write(line);
                w.write('\n');
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
