package io.pneuknow.annotate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a region is, in pixels of the stored image: a box ({@code x, y, width, height}, top-left corner), a
 * polygon (its points; {@link #box()} is then its bounding box), or a mask file (a binary PNG relative to the
 * data folder, optionally with the box of its component).
 *
 * @param kind       box, polygon or mask
 * @param box        the box (box), the bounding box (polygon), the component's box or null (mask)
 * @param polygon    the points of a polygon, else empty
 * @param maskFile   the mask file of a mask region, else null
 */
public record Geometry(Kind kind, Box box, List<Point> polygon, String maskFile) {
    /** The three kinds of geometry. */
    public enum Kind {
        BOX, POLYGON, MASK;

        /** The name stored in the database. */
        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** An axis-aligned box in whole pixels; width and height are positive. */
    public record Box(int x, int y, int width, int height) {
        public Box {
            if (width <= 0 || height <= 0) {
                throw new IllegalArgumentException("box " + width + "x" + height + " has a non-positive size");
            }
        }
    }

    /** A polygon point in pixels (fractions allowed: a drawing tool's coordinates). */
    public record Point(double x, double y) {
    }

    public Geometry {
        polygon = polygon == null ? List.of() : List.copyOf(polygon);
        switch (kind) {
            case BOX -> {
                if (box == null) {
                    throw new IllegalArgumentException("a box region needs its box");
                }
            }
            case POLYGON -> {
                if (polygon.size() < 3) {
                    throw new IllegalArgumentException("a polygon needs at least 3 points, got " + polygon.size());
                }
            }
            case MASK -> {
                if (maskFile == null || maskFile.isBlank()) {
                    throw new IllegalArgumentException("a mask region needs its mask file");
                }
            }
        }
    }

    /** A box region. */
    public static Geometry box(int x, int y, int width, int height) {
        return new Geometry(Kind.BOX, new Box(x, y, width, height), List.of(), null);
    }

    /** A polygon region; its bounding box is the smallest whole-pixel box that covers it. */
    public static Geometry polygon(List<Point> points) {
        if (points.size() < 3) {
            throw new IllegalArgumentException("a polygon needs at least 3 points, got " + points.size());
        }
        double minX = points.stream().mapToDouble(Point::x).min().orElseThrow();
        double minY = points.stream().mapToDouble(Point::y).min().orElseThrow();
        double maxX = points.stream().mapToDouble(Point::x).max().orElseThrow();
        double maxY = points.stream().mapToDouble(Point::y).max().orElseThrow();
        int x = (int) Math.floor(minX);
        int y = (int) Math.floor(minY);
        Box bounds = new Box(x, y, Math.max(1, (int) Math.ceil(maxX) - x), Math.max(1, (int) Math.ceil(maxY) - y));
        return new Geometry(Kind.POLYGON, bounds, points, null);
    }

    /** A mask region: a mask file relative to the data folder, with its component's box or null. */
    public static Geometry mask(String maskFile, Box box) {
        return new Geometry(Kind.MASK, box, List.of(), maskFile);
    }

    /** The polygon as stored: "x,y x,y ...". */
    String polygonText() {
        if (polygon.isEmpty()) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        for (Point point : polygon) {
            if (!text.isEmpty()) {
                text.append(' ');
            }
            text.append(number(point.x())).append(',').append(number(point.y()));
        }
        return text.toString();
    }

    static List<Point> parsePolygon(String text) {
        List<Point> points = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return points;
        }
        for (String pair : text.strip().split("\\s+")) {
            int comma = pair.indexOf(',');
            points.add(new Point(Double.parseDouble(pair.substring(0, comma)), Double.parseDouble(pair.substring(comma + 1))));
        }
        return points;
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}
