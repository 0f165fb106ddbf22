package io.pneuknow.guard;

import io.pneuknow.image.GreyImage;
import io.pneuknow.transform.Resize;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The named out-of-scope set of the guard's calibration, made at run time from a seed and a few in-scope
 * radiographs: every image as the bytes of a file (PNG, or DICOM for the laterals), so that it is decoded
 * as an upload would be. Groups: {@code tiny} (radiographs downscaled to {@link #TINY_SIDES}),
 * {@code colour-photo} (colour gradients with blobs and noise), {@code colour-noise}, {@code text}
 * (dark glyph strokes in lines on a light page), {@code mr-slice} (a bright ellipse with internal
 * structure on black), {@code inverted} (radiographs with grey values inverted) and {@code lateral}
 * (radiographs in generated DICOM files whose View Position is LL or RL: the header path only; a lateral
 * film recognisable by its pixels alone is not in this set).
 */
public final class OutOfScopeImages {
    /** Side lengths of the tiny images. */
    public static final int[] TINY_SIDES = {16, 24, 32, 48, 64};
    /** Generated images per procedural group. */
    public static final int PER_GROUP = 10;
    private static final int SIDE = 256;

    /** One image of the set: its group, a name within the group and the file's bytes. */
    public record Item(String group, String name, byte[] bytes) {
    }

    private OutOfScopeImages() {
    }

    /**
     * The set: tiny, inverted and lateral versions of each radiograph given (use at most a few: each gives
     * {@code TINY_SIDES.length + 2} images) and {@value #PER_GROUP} generated images of every procedural group.
     */
    public static List<Item> make(List<GreyImage> radiographs, long seed) {
        Random random = new Random(seed);
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < radiographs.size(); i++) {
            GreyImage r = radiographs.get(i);
            for (int side : TINY_SIDES) {
                items.add(new Item("tiny", "radiograph " + i + " at " + side + "x" + side, png(Resize.to(r, side, side))));
            }
            float[] inverted = new float[r.pixels().length];
            for (int k = 0; k < inverted.length; k++) {
                inverted[k] = 1 - r.pixels()[k];
            }
            items.add(new Item("inverted", "radiograph " + i + " inverted", png(new GreyImage(r.width(), r.height(), inverted))));
            String view = i % 2 == 0 ? "LL" : "RL";
            items.add(new Item("lateral", "radiograph " + i + " as DICOM, View Position " + view, dicom(r, view)));
        }
        for (int i = 0; i < PER_GROUP; i++) {
            items.add(new Item("colour-photo", "gradient " + i, colourPhoto(random)));
            items.add(new Item("colour-noise", "noise " + i, colourNoise(random)));
            items.add(new Item("text", "page " + i, png(text(random))));
            items.add(new Item("mr-slice", "slice " + i, png(mrSlice(random))));
        }
        return items;
    }

    /** Two colour gradients blended, a few soft colour blobs and mild noise, like a blurred photograph. */
    private static byte[] colourPhoto(Random random) {
        BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        float[][] corners = new float[4][3];
        for (float[] c : corners) {
            for (int k = 0; k < 3; k++) {
                c[k] = random.nextFloat();
            }
        }
        int blobs = 3 + random.nextInt(4);
        float[][] blob = new float[blobs][6];
        for (float[] b : blob) {
            b[0] = random.nextFloat() * SIDE;
            b[1] = random.nextFloat() * SIDE;
            b[2] = 20 + random.nextFloat() * 60;
            for (int k = 3; k < 6; k++) {
                b[k] = random.nextFloat();
            }
        }
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                float u = (float) x / SIDE;
                float v = (float) y / SIDE;
                float[] rgb = new float[3];
                for (int k = 0; k < 3; k++) {
                    rgb[k] = (1 - u) * (1 - v) * corners[0][k] + u * (1 - v) * corners[1][k] + (1 - u) * v * corners[2][k]
                            + u * v * corners[3][k];
                }
                for (float[] b : blob) {
                    double w = Math.exp(-((x - b[0]) * (x - b[0]) + (y - b[1]) * (y - b[1])) / (2 * b[2] * b[2]));
                    for (int k = 0; k < 3; k++) {
                        rgb[k] = (float) ((1 - w) * rgb[k] + w * b[3 + k]);
                    }
                }
                image.setRGB(x, y, rgb(rgb[0] + 0.04f * (float) random.nextGaussian(),
                        rgb[1] + 0.04f * (float) random.nextGaussian(), rgb[2] + 0.04f * (float) random.nextGaussian()));
            }
        }
        return encode(image);
    }

    private static byte[] colourNoise(Random random) {
        BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return encode(image);
    }

    /** Lines of dark strokes of random widths (words) on a light page, with margins. */
    private static GreyImage text(Random random) {
        float[] px = new float[SIDE * SIDE];
        float paper = 0.85f + 0.15f * random.nextFloat();
        java.util.Arrays.fill(px, paper);
        int glyph = 6 + random.nextInt(6);
        for (int top = 16; top + glyph < SIDE - 16; top += glyph * 2) {
            int x = 16;
            while (x < SIDE - 16) {
                int word = 2 + random.nextInt(7);
                for (int c = 0; c < word && x + glyph / 2 < SIDE - 16; c++) {
                    int w = Math.max(2, glyph / 2 + random.nextInt(3) - 1);
                    int h = glyph - random.nextInt(3);
                    for (int y = top + glyph - h; y < top + glyph; y++) {
                        for (int dx = 0; dx < w; dx++) {
                            boolean stroke = dx == 0 || dx == w - 1 || y == top + glyph - h || random.nextInt(3) == 0;
                            if (stroke) {
                                px[y * SIDE + x + dx] = 0.1f * random.nextFloat();
                            }
                        }
                    }
                    x += w + 2;
                }
                x += glyph;
            }
        }
        return new GreyImage(SIDE, SIDE, px);
    }

    /** A bright ellipse (a body or head in cross-section) with darker and brighter structures inside, on black. */
    private static GreyImage mrSlice(Random random) {
        float[] px = new float[SIDE * SIDE];
        double cx = SIDE / 2.0 + random.nextGaussian() * 8;
        double cy = SIDE / 2.0 + random.nextGaussian() * 8;
        double ax = SIDE * (0.30 + 0.12 * random.nextDouble());
        double ay = SIDE * (0.30 + 0.12 * random.nextDouble());
        int inner = 4 + random.nextInt(5);
        double[][] parts = new double[inner][5];
        for (double[] p : parts) {
            p[0] = cx + (random.nextDouble() - 0.5) * ax;
            p[1] = cy + (random.nextDouble() - 0.5) * ay;
            p[2] = 8 + random.nextDouble() * ax / 3;
            p[3] = 8 + random.nextDouble() * ay / 3;
            p[4] = 0.15 + 0.8 * random.nextDouble();
        }
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double r = Math.pow((x - cx) / ax, 2) + Math.pow((y - cy) / ay, 2);
                double v = 0.02 * Math.abs(random.nextGaussian());
                if (r <= 1) {
                    v = r > 0.85 ? 0.9 : 0.55 + 0.05 * random.nextGaussian();
                    for (double[] p : parts) {
                        if (Math.pow((x - p[0]) / p[2], 2) + Math.pow((y - p[1]) / p[3], 2) <= 1) {
                            v = p[4] + 0.04 * random.nextGaussian();
                        }
                    }
                }
                px[y * SIDE + x] = (float) Math.min(1, Math.max(0, v));
            }
        }
        return new GreyImage(SIDE, SIDE, px);
    }

    private static int rgb(float r, float g, float b) {
        return (channel(r) << 16) | (channel(g) << 8) | channel(b);
    }

    private static int channel(float v) {
        return Math.round(Math.min(1, Math.max(0, v)) * 255);
    }

    /** An 8-bit grey PNG of an image with values in [0, 1]. */
    public static byte[] png(GreyImage grey) {
        return encode(toGrey8(grey));
    }

    private static BufferedImage toGrey8(GreyImage grey) {
        BufferedImage image = new BufferedImage(grey.width(), grey.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) channel(grey.pixels()[i]);
        }
        return image;
    }

    private static byte[] encode(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * A DICOM Part 10 file (explicit VR little endian, 8-bit MONOCHROME2, no patient attributes) of a grey
     * image, Modality DX, Body Part Examined CHEST and the View Position given.
     */
    public static byte[] dicom(GreyImage grey, String viewPosition) {
        byte[] pixels = ((DataBufferByte) toGrey8(grey).getRaster().getDataBuffer()).getData();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[128]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        element(out, 0x0002, 0x0010, "UI", text("1.2.840.10008.1.2.1", true));
        element(out, 0x0008, 0x0060, "CS", text("DX", false));
        element(out, 0x0018, 0x0015, "CS", text("CHEST", false));
        element(out, 0x0018, 0x5101, "CS", text(viewPosition, false));
        element(out, 0x0028, 0x0002, "US", u16(1));
        element(out, 0x0028, 0x0004, "CS", text("MONOCHROME2", false));
        element(out, 0x0028, 0x0010, "US", u16(grey.height()));
        element(out, 0x0028, 0x0011, "US", u16(grey.width()));
        element(out, 0x0028, 0x0100, "US", u16(8));
        element(out, 0x0028, 0x0101, "US", u16(8));
        element(out, 0x0028, 0x0102, "US", u16(7));
        element(out, 0x0028, 0x0103, "US", u16(0));
        byte[] data = pixels.length % 2 == 0 ? pixels : java.util.Arrays.copyOf(pixels, pixels.length + 1);
        element(out, 0x7fe0, 0x0010, "OB", data);
        return out.toByteArray();
    }

    private static void element(ByteArrayOutputStream out, int group, int number, String vr, byte[] value) {
        out.writeBytes(u16(group));
        out.writeBytes(u16(number));
        out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
        if (vr.equals("OB")) {
            out.writeBytes(new byte[2]);
            out.writeBytes(new byte[] {(byte) value.length, (byte) (value.length >> 8), (byte) (value.length >> 16),
                    (byte) (value.length >> 24)});
        } else {
            out.writeBytes(u16(value.length));
        }
        out.writeBytes(value);
    }

    /** An even-length text value: UIDs padded with NUL, other strings with a space. */
    private static byte[] text(String s, boolean uid) {
        String padded = s.length() % 2 == 0 ? s : s + (uid ? "\0" : " ");
        return padded.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] u16(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8)};
    }
}
