package io.pneuknow.guard;

import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Cheap pixel statistics that tell a chest radiograph from other pictures, computed on the image as the
 * model prepares it (resized to its input size, grey values 0-1) and, for colour, on the decoded file
 * before grey conversion. Each is compared with the training images' range ({@link InputGuard}).
 *
 * <ul>
 *   <li>{@code mean}, {@code sd}: grey level and spread;</li>
 *   <li>{@code dark}, {@code bright}: share of pixels below 0.05 and above 0.95 (black backgrounds of
 *       MR/CT slices, white pages);</li>
 *   <li>{@code entropy}: of the 32-bin grey histogram, in bits (flat graphics, binary text);</li>
 *   <li>{@code edges}: mean absolute difference between neighbouring pixels (text, noise);</li>
 *   <li>{@code centre}: the central vertical band (spine, mediastinum) minus the two lung bands beside it;
 *       positive on a frontal radiograph, negative on an inverted one;</li>
 *   <li>{@code border}: the outer tenth of the frame minus the whole image's mean;</li>
 *   <li>{@code colour}: mean chroma (largest minus smallest of R, G, B, 0-1) of the decoded file; 0 for grey
 *       files and DICOM, NaN when not measured.</li>
 * </ul>
 */
public final class PixelFeatures {
    /** The features' names in a fixed order. */
    public static final String[] NAMES = {"mean", "sd", "dark", "bright", "entropy", "edges", "centre", "border", "colour"};
    /** The longest side colour is measured at (the file is subsampled when decoded). */
    private static final int COLOUR_SIDE = 256;

    private PixelFeatures() {
    }

    /** Every feature of a prepared image, and {@code colour} as given (NaN: not measured). */
    public static Map<String, Double> of(GreyImage prepared, double colour) {
        int w = prepared.width();
        int h = prepared.height();
        float[] px = prepared.pixels();
        double sum = 0;
        double squares = 0;
        int dark = 0;
        int bright = 0;
        int[] histogram = new int[32];
        for (float v : px) {
            sum += v;
            squares += (double) v * v;
            dark += v < 0.05f ? 1 : 0;
            bright += v > 0.95f ? 1 : 0;
            histogram[Math.min(31, Math.max(0, (int) (v * 32)))]++;
        }
        int n = px.length;
        double mean = sum / n;
        double entropy = 0;
        for (int count : histogram) {
            if (count > 0) {
                double p = (double) count / n;
                entropy -= p * Math.log(p) / Math.log(2);
            }
        }
        double edges = 0;
        int pairs = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = px[y * w + x];
                if (x + 1 < w) {
                    edges += Math.abs(px[y * w + x + 1] - v);
                    pairs++;
                }
                if (y + 1 < h) {
                    edges += Math.abs(px[(y + 1) * w + x] - v);
                    pairs++;
                }
            }
        }
        double centre = band(prepared, 0.42, 0.58) - (band(prepared, 0.15, 0.35) + band(prepared, 0.65, 0.85)) / 2;
        int margin = Math.max(1, Math.min(w, h) / 10);
        double frame = 0;
        int framePixels = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (x < margin || y < margin || x >= w - margin || y >= h - margin) {
                    frame += px[y * w + x];
                    framePixels++;
                }
            }
        }
        Map<String, Double> features = new LinkedHashMap<>();
        features.put("mean", mean);
        features.put("sd", Math.sqrt(Math.max(0, squares / n - mean * mean)));
        features.put("dark", (double) dark / n);
        features.put("bright", (double) bright / n);
        features.put("entropy", entropy);
        features.put("edges", pairs == 0 ? 0 : edges / pairs);
        features.put("centre", centre);
        features.put("border", framePixels == 0 ? 0 : frame / framePixels - mean);
        features.put("colour", colour);
        return features;
    }

    /** Mean of the columns from {@code from} to {@code to} (shares of the width), rows 20-80 % of the height. */
    private static double band(GreyImage image, double from, double to) {
        int x0 = (int) (from * image.width());
        int x1 = Math.max(x0 + 1, (int) (to * image.width()));
        int y0 = (int) (0.2 * image.height());
        int y1 = Math.max(y0 + 1, (int) (0.8 * image.height()));
        double sum = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                sum += image.get(x, y);
            }
        }
        return sum / ((long) (x1 - x0) * (y1 - y0));
    }

    /**
     * Mean chroma of a PNG or JPEG (largest minus smallest of R, G, B, 0-1), decoded at most
     * {@value #COLOUR_SIDE} px a side; 0 for grey images, NaN when the bytes cannot be decoded here.
     */
    public static double colour(byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                return Double.NaN;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                ImageTypeSpecifier raw = reader.getRawImageType(0);
                if (raw != null && raw.getColorModel().getNumColorComponents() < 3) {
                    return 0; // a grey file: nothing to decode
                }
                int step = Math.max(1, Math.max(reader.getWidth(0), reader.getHeight(0)) / COLOUR_SIDE);
                ImageReadParam param = reader.getDefaultReadParam();
                param.setSourceSubsampling(step, step, 0, 0);
                BufferedImage image = reader.read(0, param);
                if (image.getColorModel().getNumColorComponents() < 3) {
                    return 0;
                }
                int w = image.getWidth();
                int h = image.getHeight();
                int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
                double chroma = 0;
                for (int p : rgb) {
                    int r = (p >> 16) & 0xff;
                    int g = (p >> 8) & 0xff;
                    int b = p & 0xff;
                    chroma += Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b));
                }
                return chroma / (255.0 * rgb.length);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
