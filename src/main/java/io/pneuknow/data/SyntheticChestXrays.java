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
 */
public final class SyntheticChestXrays {
    /** Class names in label order. */
    public static final List<String> CLASSES = List.of("cavity", "healthy", "opacity");

    /**
     * What to generate. {@code unannotatedFraction} of the pathological train images get no region
     * (to exercise the policy for images without annotation).
     */
    public record Spec(int size, int trainPerClass, int valPerClass, int testPerClass,
                       double unannotatedFraction, double cueLevel, long seed) {
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
                        int cue = parts[p].equals("test") ? rng.nextInt(CLASSES.size()) : c;
                        boolean annotate = !parts[p].equals("train") || rng.nextDouble() >= spec.unannotatedFraction();
                        Drawn drawn = draw(spec.size(), CLASSES.get(c), cue, spec.cueLevel(), rng);
                        String file = "images/" + id + ".png";
                        writePng(dir.resolve(file), drawn.pixels(), spec.size());
                        labels.add(String.join(",", id, file, CLASSES.get(c), patient, parts[p],
                                CLASSES.get(cue), cue == c ? "1" : "0"));
                        if (drawn.lesionMask() != null && annotate) {
                            String maskFile = "masks/" + id + "_lesion.png";
                            writeMask(dir.resolve(maskFile), drawn.lesionMask(), spec.size());
                            int[] b = drawn.lesionBox();
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

    /** Pixels in [0,1], the lesion mask (null for healthy), its box {x,y,w,h} and the two lung boxes. */
    record Drawn(float[] pixels, boolean[] lesionMask, int[] lesionBox, List<int[]> lungBoxes) {
    }

    static Drawn draw(int s, String className, int cueClass, double cueLevel, SplittableRandom rng) {
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
        boolean[] mask = null;
        int[] box = null;
        if (!className.equals("healthy")) {
            double[] lung = lungs[rng.nextInt(2)];
            double angle = rng.nextDouble(0, 2 * Math.PI);
            double radius = rng.nextDouble(0, 0.5);
            double cx = lung[0] + Math.cos(angle) * radius * lung[2];
            double cy = lung[1] + Math.sin(angle) * radius * lung[3];
            double r = s * rng.nextDouble(0.06, 0.08);
            double amplitude = rng.nextDouble(0.25, 0.35) * (className.equals("opacity") ? 1 : -1);
            mask = new boolean[s * s];
            int x0 = s;
            int y0 = s;
            int x1 = -1;
            int y1 = -1;
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    double d = Math.hypot(x - cx, y - cy) / r;
                    px[y * s + x] += (float) (amplitude * Math.exp(-d * d * 1.5));
                    if (d <= 1.05) {
                        mask[y * s + x] = true;
                        x0 = Math.min(x0, x);
                        y0 = Math.min(y0, y);
                        x1 = Math.max(x1, x);
                        y1 = Math.max(y1, y);
                    }
                }
            }
            box = new int[] {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
        }
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
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) Math.min(1, Math.max(0, px[i] + rng.nextGaussian() * 0.03));
        }
        List<int[]> lungBoxes = new ArrayList<>();
        for (double[] l : lungs) {
            int lx = (int) Math.max(0, Math.floor(l[0] - l[2]));
            int ly = (int) Math.max(0, Math.floor(l[1] - l[3]));
            int rx = (int) Math.min(s, Math.ceil(l[0] + l[2]));
            int ry = (int) Math.min(s, Math.ceil(l[1] + l[3]));
            lungBoxes.add(new int[] {lx, ly, rx - lx, ry - ly});
        }
        return new Drawn(px, mask, box, lungBoxes);
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
