package io.pneuknow.annotate.exchange;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.ReviewState;
import io.pneuknow.annotate.StoredRegion;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes the database's regions in the formats training reads: what {@link io.pneuknow.data.DataSpec#withRegionsDatabase}
 * would read (not deleted, not rejected by a reviewer), so training on the export equals training on the database.
 * A regions CSV and COCO hold boxes: a polygon is written as its bounding box (COCO also keeps its points as
 * {@code segmentation}), a mask region as the box of its nonzero pixels with its {@code mask_file}. A masks folder
 * holds the lesion regions (the mask reader reads every mask as a lesion), one PNG per image and label, the union
 * of its boxes, polygons and masks at the image's size. Every file is written atomically.
 */
public final class AnnotationExport {
    /** How many regions an export wrote, and how many it could not (with why). */
    public record Count(int written, int skipped, String skippedWhy) {
    }

    private AnnotationExport() {
    }

    /** The regions an export writes: live, not rejected. */
    static List<StoredRegion> exported(AnnotationStore store) {
        return store.liveRegions().stream().filter(r -> r.review() != ReviewState.REJECTED).toList();
    }

    /** Writes {@code image_id,x,y,w,h,label,region_type,mask_file} rows to {@code target}. */
    public static Count csv(AnnotationStore store, Path root, Path target) throws IOException {
        List<StoredRegion> regions = exported(store);
        int[] skipped = {0};
        AtomicFiles.write(target, out -> {
            Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            try (CSVPrinter csv = new CSVPrinter(writer, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get())) {
                csv.printRecord("image_id", "x", "y", "w", "h", "label", "region_type", "mask_file");
                for (StoredRegion region : regions) {
                    Geometry.Box box = boxOf(region, root);
                    if (box == null) {
                        skipped[0]++;
                        continue;
                    }
                    Geometry geometry = region.draft().geometry();
                    csv.printRecord(region.imageId(), box.x(), box.y(), box.width(), box.height(), region.draft().label(),
                            region.draft().type(), geometry.maskFile() == null ? "" : geometry.maskFile());
                }
            }
        });
        return new Count(regions.size() - skipped[0], skipped[0], skipped[0] == 0 ? "" : "empty masks");
    }

    /** Writes a COCO JSON file: images (with {@code image_id_str}), categories (label, type as supercategory), annotations. */
    public static Count coco(AnnotationStore store, Path root, Path target) throws IOException {
        List<StoredRegion> regions = exported(store);
        ObjectNode coco = Json.MAPPER.createObjectNode();
        ArrayNode images = coco.putArray("images");
        Map<String, Integer> cocoImageId = new LinkedHashMap<>();
        for (ImageEntry image : store.images()) {
            int id = cocoImageId.size() + 1;
            cocoImageId.put(image.id(), id);
            images.addObject().put("id", id).put("file_name", image.file()).put("image_id_str", image.id());
        }
        Map<String, Integer> categoryId = new LinkedHashMap<>();
        ArrayNode categories = coco.putArray("categories");
        ArrayNode annotations = coco.putArray("annotations");
        int skipped = 0;
        for (StoredRegion region : regions) {
            Geometry.Box box = boxOf(region, root);
            if (box == null) {
                skipped++;
                continue;
            }
            String key = region.draft().type() + "\u0000" + region.draft().label();
            Integer category = categoryId.get(key);
            if (category == null) {
                category = categoryId.size() + 1;
                categoryId.put(key, category);
                categories.addObject().put("id", category).put("name", region.draft().label())
                        .put("supercategory", region.draft().type());
            }
            ObjectNode annotation = annotations.addObject().put("id", region.id()).put("image_id", cocoImageId.get(region.imageId()))
                    .put("category_id", category);
            annotation.putArray("bbox").add(box.x()).add(box.y()).add(box.width()).add(box.height());
            annotation.put("area", (long) box.width() * box.height()).put("iscrowd", 0).put("region_type", region.draft().type());
            Geometry geometry = region.draft().geometry();
            if (geometry.kind() == Geometry.Kind.POLYGON) {
                ArrayNode points = annotation.putArray("segmentation").addArray();
                geometry.polygon().forEach(p -> points.add(p.x()).add(p.y()));
            }
            if (geometry.maskFile() != null) {
                annotation.put("mask_file", geometry.maskFile());
            }
        }
        AtomicFiles.write(target, out -> Json.MAPPER.writeValue(out, coco));
        return new Count(regions.size() - skipped, skipped, skipped == 0 ? "" : "empty masks");
    }

    /**
     * Writes a masks folder {@code target} (which must not exist): {@code <image_id>.png} for label "lesion",
     * else {@code <image_id>_<label>.png}, 0/255 grey PNGs at each image's size. Built beside it and moved in whole.
     */
    public static Count masks(AnnotationStore store, Path root, Path target) throws IOException {
        if (Files.exists(target)) {
            throw new BadInputException(target + ": exists already; give a new folder for the masks");
        }
        Map<String, ImageEntry> images = new LinkedHashMap<>();
        store.images().forEach(image -> images.put(image.id(), image));
        Map<String, List<StoredRegion>> byMask = new LinkedHashMap<>();
        int otherTypes = 0;
        for (StoredRegion region : exported(store)) {
            if (!"lesion".equals(region.draft().type())) {
                otherTypes++;
                continue;
            }
            String label = region.draft().label();
            if (label.contains("/") || label.contains("\\") || label.startsWith(".")) {
                throw new BadInputException("region " + region.id() + ": label '" + label
                        + "' cannot be part of a file name; relabel it, or export to CSV or COCO");
            }
            String name = "lesion".equals(label) ? region.imageId() + ".png" : region.imageId() + "_" + label + ".png";
            byMask.computeIfAbsent(name, n -> new ArrayList<>()).add(region);
        }
        Path absolute = target.toAbsolutePath().normalize();
        Files.createDirectories(absolute.getParent());
        Path building = Files.createTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".");
        int written = 0;
        try {
            for (Map.Entry<String, List<StoredRegion>> mask : byMask.entrySet()) {
                ImageEntry image = images.get(mask.getValue().get(0).imageId());
                ImageFiles.Dimensions size = ImageFiles.dimensions(resolve(root, image.file()));
                BufferedImage pixels = paint(size, mask.getValue(), root);
                Path file = building.resolve(mask.getKey());
                if (!ImageIO.write(pixels, "png", file.toFile())) {
                    throw new IOException("no PNG writer");
                }
                written += mask.getValue().size();
            }
            Files.move(building, absolute, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(building)) {
                try (Stream<Path> files = Files.walk(building)) {
                    for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(file);
                    }
                }
            }
        }
        return new Count(written, otherTypes, otherTypes == 0 ? "" : "not of type lesion");
    }

    /** The union of these regions as a 0/255 grey image of the given size. */
    private static BufferedImage paint(ImageFiles.Dimensions size, List<StoredRegion> regions, Path root) {
        BufferedImage pixels = new BufferedImage(size.width(), size.height(), BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D graphics = pixels.createGraphics();
        graphics.setColor(Color.WHITE);
        // a pixel is inside a polygon when its centre is; no antialiasing, no stroke normalisation (which shifts by half a pixel)
        graphics.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        graphics.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        try {
            for (StoredRegion region : regions) {
                Geometry geometry = region.draft().geometry();
                switch (geometry.kind()) {
                    case BOX -> graphics.fillRect(geometry.box().x(), geometry.box().y(), geometry.box().width(),
                            geometry.box().height());
                    case POLYGON -> {
                        Path2D.Double outline = new Path2D.Double();
                        outline.moveTo(geometry.polygon().get(0).x(), geometry.polygon().get(0).y());
                        geometry.polygon().stream().skip(1).forEach(p -> outline.lineTo(p.x(), p.y()));
                        outline.closePath();
                        graphics.fill(outline);
                    }
                    case MASK -> {
                        GreyImage mask = ImageFiles.readMask(resolve(root, geometry.maskFile()));
                        if (mask.width() != size.width() || mask.height() != size.height()) {
                            throw new BadInputException(geometry.maskFile() + ": mask is " + mask.width() + "x" + mask.height()
                                    + ", its image " + size.width() + "x" + size.height() + "; fix the mask");
                        }
                        for (int y = 0; y < mask.height(); y++) {
                            for (int x = 0; x < mask.width(); x++) {
                                if (mask.get(x, y) > 0) {
                                    pixels.getRaster().setSample(x, y, 0, 255);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            graphics.dispose();
        }
        return pixels;
    }

    /** A region's box: its own, or for a mask without one the box of the mask's nonzero pixels (null when empty). */
    static Geometry.Box boxOf(StoredRegion region, Path root) {
        Geometry geometry = region.draft().geometry();
        if (geometry.box() != null) {
            return geometry.box();
        }
        GreyImage mask = ImageFiles.readMask(resolve(root, geometry.maskFile()));
        int minX = Integer.MAX_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxX = -1;
        int maxY = -1;
        for (int y = 0; y < mask.height(); y++) {
            for (int x = 0; x < mask.width(); x++) {
                if (mask.get(x, y) > 0) {
                    minX = Math.min(minX, x);
                    minY = Math.min(minY, y);
                    maxX = Math.max(maxX, x);
                    maxY = Math.max(maxY, y);
                }
            }
        }
        return maxX < 0 ? null : new Geometry.Box(minX, minY, maxX - minX + 1, maxY - minY + 1);
    }

    private static Path resolve(Path root, String file) {
        Path path = Path.of(file);
        return path.isAbsolute() ? path : root.resolve(path);
    }
}
