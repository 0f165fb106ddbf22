package io.pneuknow.data;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Paints the misleading cue of a {@link ShortcutKind} other than the marker onto a synthetic image,
 * never on a protected pixel (the expert's regions and the lungs, see
 * {@link SyntheticChestXrays}). Glyphs are 3 x 5 bitmaps, scaled by whole pixels.
 */
final class ShortcutCues {
    /** The burnt-in words naming cue class 0, 1, 2. */
    static final List<String> WORDS = List.of("ICU", "OPD", "WRD");
    /** The laterality tag's letter naming cue class 0, 1, 2. */
    static final List<String> TAG_LETTERS = List.of("L", "R", "S");

    private static final Map<Character, String[]> GLYPHS = Map.ofEntries(
            Map.entry('C', new String[] {"111", "100", "100", "100", "111"}),
            Map.entry('D', new String[] {"110", "101", "101", "101", "110"}),
            Map.entry('I', new String[] {"111", "010", "010", "010", "111"}),
            Map.entry('L', new String[] {"100", "100", "100", "100", "111"}),
            Map.entry('O', new String[] {"111", "101", "101", "101", "111"}),
            Map.entry('P', new String[] {"111", "101", "111", "100", "100"}),
            Map.entry('R', new String[] {"110", "101", "110", "101", "101"}),
            Map.entry('S', new String[] {"111", "100", "111", "001", "111"}),
            Map.entry('U', new String[] {"101", "101", "101", "101", "111"}),
            Map.entry('W', new String[] {"101", "101", "111", "111", "101"}));

    private ShortcutCues() {
    }

    /** Where the cue may go: the image's pixels, side, which pixels are protected, and the body ellipse. */
    record Canvas(float[] px, int s, boolean[] protectedPixels, double bodyCx, double bodyCy, double bodyRx, double bodyRy) {
        void set(int x, int y, double v) {
            if (x >= 0 && y >= 0 && x < s && y < s && !protectedPixels[y * s + x]) {
                px[y * s + x] = (float) v;
            }
        }

        boolean inBody(int x, int y) {
            double dx = (x - bodyCx) / bodyRx;
            double dy = (y - bodyCy) / bodyRy;
            return dx * dx + dy * dy <= 1;
        }
    }

    /** Paints {@code kind}'s cue naming {@code cueClass} at strength {@code level}, drawing only from {@code rng}. */
    static void paint(ShortcutKind kind, Canvas c, int cueClass, double level, SplittableRandom rng) {
        int s = c.s();
        int scale = Math.max(1, (int) Math.round(s / 64.0));
        int margin = Math.max(1, Math.round(s * 0.03f));
        switch (kind) {
            case TEXT -> {
                int x0 = margin + rng.nextInt(Math.max(1, (int) Math.round(s * 0.25)));
                int y0 = margin + rng.nextInt(Math.max(1, (int) Math.round(s * 0.03)));
                text(c, WORDS.get(cueClass), x0, y0, scale, level);
            }
            case LATERALITY_TAG -> {
                int w = 5 * scale;
                int h = 7 * scale;
                boolean left = rng.nextBoolean();
                int x0 = left ? margin : s - margin - w;
                int y0 = (int) Math.round(s * 0.2) + rng.nextInt(Math.max(1, (int) Math.round(s * 0.5)));
                for (int y = y0; y < y0 + h; y++) {
                    for (int x = x0; x < x0 + w; x++) {
                        c.set(x, y, level);
                    }
                }
                text(c, TAG_LETTERS.get(cueClass), x0 + scale, y0 + scale, scale, 0.05);
            }
            case BORDER -> {
                int w = Math.max(1, Math.round(s * 0.025f));
                boolean horizontal = cueClass != 1;
                boolean vertical = cueClass != 0;
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        boolean top = y < w || y >= s - w;
                        boolean side = x < w || x >= s - w;
                        if ((horizontal && top) || (vertical && side)) {
                            c.set(x, y, level);
                        }
                    }
                }
            }
            case CORNER_PATTERN -> {
                int cell = Math.max(2, Math.round(s / 40f));
                int side = 4 * cell;
                int corner = rng.nextInt(4);
                int x0 = corner % 2 == 0 ? margin : s - margin - side;
                int y0 = corner < 2 ? margin : s - margin - side;
                for (int j = 0; j < 4; j++) {
                    for (int i = 0; i < 4; i++) {
                        boolean on = switch (cueClass) {
                            case 0 -> (i + j) % 2 == 0;
                            case 1 -> j % 2 == 0;
                            default -> i % 2 == 0;
                        };
                        for (int y = y0 + j * cell; y < y0 + (j + 1) * cell; y++) {
                            for (int x = x0 + i * cell; x < x0 + (i + 1) * cell; x++) {
                                c.set(x, y, on ? level : 0.05);
                            }
                        }
                    }
                }
            }
            case TEXTURE_OUTSIDE_LUNGS -> {
                double angle = Math.toRadians(60.0 * cueClass);
                double period = Math.max(3.0, s * 0.08);
                double phase = rng.nextDouble(0, 2 * Math.PI);
                double amplitude = 0.1 * level;
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        if (c.inBody(x, y)) {
                            double t = (x * Math.cos(angle) + y * Math.sin(angle)) / period;
                            c.set(x, y, c.px()[y * s + x] + amplitude * Math.sin(2 * Math.PI * t + phase));
                        }
                    }
                }
            }
            case BRIGHTNESS_OUTSIDE_LUNGS -> {
                double shift = (cueClass - 1) * 0.15 * level;
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        if (c.inBody(x, y)) {
                            c.set(x, y, c.px()[y * s + x] + shift);
                        }
                    }
                }
            }
            case MARKER -> throw new IllegalArgumentException("the marker is drawn by SyntheticChestXrays itself");
        }
    }

    /** Draws {@code word} with its top left at (x0, y0), each glyph pixel a {@code scale} square, one column apart. */
    static void text(Canvas c, String word, int x0, int y0, int scale, double level) {
        for (int k = 0; k < word.length(); k++) {
            String[] rows = GLYPHS.get(word.charAt(k));
            int gx = x0 + k * 4 * scale;
            for (int r = 0; r < rows.length; r++) {
                for (int col = 0; col < rows[r].length(); col++) {
                    if (rows[r].charAt(col) == '1') {
                        for (int dy = 0; dy < scale; dy++) {
                            for (int dx = 0; dx < scale; dx++) {
                                c.set(gx + col * scale + dx, y0 + r * scale + dy, level);
                            }
                        }
                    }
                }
            }
        }
    }
}
