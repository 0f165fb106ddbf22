package io.pneuknow.studio;

import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ReviewState;
import io.pneuknow.annotate.StoredPrediction;
import io.pneuknow.annotate.StoredRegion;
import io.pneuknow.explain.Agreement;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.awt.geom.Path2D;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the served model's heat lies against the expert's lesion regions, the numbers the reviewer's disagreement
 * flag reads ({@link StoredPrediction#heatOutsideRegions}): the share of the heat map's sum inside the regions
 * ({@link Agreement#energyPointingGame}, the energy pointing game) and the share of the image's pixels the regions
 * cover. The second is the threshold: heat spread evenly over the image would put exactly that share inside the
 * regions, so heat whose share inside is below it is no more on the regions than chance. The regions counted are the
 * image's lesion regions that are neither deleted nor rejected (what training reads), as a mask at the image's size:
 * a box covers its whole pixels, a polygon the pixels whose centre lies inside it, a mask file its nonzero pixels
 * (its box when the file is missing or of another size).
 */
final class HeatShares {
    /** The region type whose regions are the expert's findings. */
    static final String LESION = "lesion";

    private HeatShares() {
    }

    /**
     * The lesion regions among {@code regions} as a mask of {@code width x height} (1 inside, 0 outside), or null when
     * there are none or none covers a pixel of the image. Mask files are read relative to {@code dataDir}.
     */
    static GreyImage lesionMask(List<StoredRegion> regions, int width, int height, Path dataDir) {
        float[] mask = new float[width * height];
        boolean any = false;
        for (StoredRegion region : regions) {
            if (region.deleted() || region.review() == ReviewState.REJECTED || !LESION.equals(region.draft().type())) {
                continue;
            }
            Geometry geometry = region.draft().geometry();
            switch (geometry.kind()) {
                case BOX -> any |= fillBox(mask, width, height, geometry.box());
                case POLYGON -> any |= fillPolygon(mask, width, height, geometry);
                case MASK -> any |= fillMask(mask, width, height, geometry, dataDir);
            }
        }
        if (!any) {
            return null;
        }
        int inside = 0;
        for (float v : mask) {
            inside += v > 0 ? 1 : 0;
        }
        return inside == 0 ? null : new GreyImage(width, height, mask);
    }

    /**
     * The prediction with its heat shares: {@code heat}'s share inside {@code mask} (null when the heat is all zero)
     * and the mask's share of the pixels; both null when {@code mask} is null.
     */
    static StoredPrediction of(String imageId, String label, double probability, GreyImage heat, GreyImage mask) {
        if (mask == null) {
            return new StoredPrediction(imageId, label, probability);
        }
        double inside = Agreement.energyPointingGame(heat, mask); // NaN: all-zero heat
        return new StoredPrediction(imageId, label, probability, Double.isNaN(inside) ? null : clamp(inside), areaShare(mask));
    }

    /** The share of {@code mask}'s pixels that are inside (>= 0.5). */
    static double areaShare(GreyImage mask) {
        int inside = 0;
        for (float v : mask.pixels()) {
            inside += v >= 0.5f ? 1 : 0;
        }
        return (double) inside / mask.pixels().length;
    }

    private static double clamp(double share) {
        return Math.max(0, Math.min(1, share)); // a sum's rounding may pass 1 by an ulp
    }

    private static boolean fillBox(float[] mask, int width, int height, Geometry.Box box) {
        if (box == null) {
            return false;
        }
        boolean any = false;
        for (int y = Math.max(0, box.y()); y < Math.min(height, box.y() + box.height()); y++) {
            for (int x = Math.max(0, box.x()); x < Math.min(width, box.x() + box.width()); x++) {
                mask[y * width + x] = 1;
                any = true;
            }
        }
        return any;
    }

    private static boolean fillPolygon(float[] mask, int width, int height, Geometry geometry) {
        Path2D.Double outline = new Path2D.Double();
        List<Geometry.Point> points = geometry.polygon();
        outline.moveTo(points.get(0).x(), points.get(0).y());
        for (int i = 1; i < points.size(); i++) {
            outline.lineTo(points.get(i).x(), points.get(i).y());
        }
        outline.closePath();
        Geometry.Box box = geometry.box();
        boolean any = false;
        for (int y = Math.max(0, box.y()); y < Math.min(height, box.y() + box.height()); y++) {
            for (int x = Math.max(0, box.x()); x < Math.min(width, box.x() + box.width()); x++) {
                if (outline.contains(x + 0.5, y + 0.5)) {
                    mask[y * width + x] = 1;
                    any = true;
                }
            }
        }
        return any;
    }

    private static boolean fillMask(float[] mask, int width, int height, Geometry geometry, Path dataDir) {
        Path file = dataDir.resolve(geometry.maskFile()).normalize();
        if (file.startsWith(dataDir) && Files.isRegularFile(file)) {
            try {
                GreyImage read = ImageFiles.readMask(file);
                if (read.width() == width && read.height() == height) {
                    boolean any = false;
                    float[] pixels = read.pixels();
                    for (int i = 0; i < pixels.length; i++) {
                        if (pixels[i] > 0) {
                            mask[i] = 1;
                            any = true;
                        }
                    }
                    return any;
                }
            } catch (RuntimeException e) {
                // unreadable: its box stands for it, as the list shows it
            }
        }
        return fillBox(mask, width, height, geometry.box());
    }
}
