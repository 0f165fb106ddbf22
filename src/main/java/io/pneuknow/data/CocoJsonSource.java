package io.pneuknow.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Regions from a COCO JSON file of boxes: images matched to the labels file by {@code image_id_str}, else by
 * {@code file_name}; the label is the category's name, the type the annotation's {@code region_type} or the
 * category's supercategory; an annotation may name a {@code mask_file}.
 */
record CocoJsonSource(Path file) implements RegionSource {
    @Override
    public List<ImageRegion> read(RegionReading reading) {
        List<ImageRegion> regions = new ArrayList<>();
        String name = reading.show(file);
        if (!Files.isRegularFile(file)) {
            reading.problem(name + ": COCO file not found; check the path in the data spec");
            return regions;
        }
        JsonNode coco;
        try {
            coco = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : " line " + e.getLocation().getLineNr();
            reading.problem(name + line + ": not valid JSON (" + e.getOriginalMessage() + "); fix or re-export the file");
            return regions;
        } catch (IOException e) {
            reading.problem(name + ": cannot read (" + e.getMessage() + "); check the file");
            return regions;
        }
        Map<Long, String> imageIdOfCocoId = new HashMap<>();
        for (JsonNode image : coco.path("images")) {
            String idString = image.path("image_id_str").asText("");
            String imageId = idString.isEmpty() ? reading.imageIdOfFile(image.path("file_name").asText("")) : idString;
            imageIdOfCocoId.put(image.path("id").asLong(), imageId);
        }
        Map<Long, JsonNode> categories = new HashMap<>();
        coco.path("categories").forEach(category -> categories.put(category.path("id").asLong(), category));

        for (JsonNode annotation : coco.path("annotations")) {
            String where = name + " annotation id " + annotation.path("id").asText("?");
            JsonNode category = categories.get(annotation.path("category_id").asLong());
            if (category == null) {
                reading.problem(where + ": category_id " + annotation.path("category_id") + " is not in categories; fix the id");
                continue;
            }
            String label = category.path("name").asText();
            // Per-annotation region_type (e.g. "anatomy_box") refines the category's supercategory when present.
            String type = firstText(annotation.path("region_type"), category.path("supercategory"));
            if (!reading.keeps(type, label)) {
                continue;
            }
            long cocoImageId = annotation.path("image_id").asLong();
            String imageId = imageIdOfCocoId.get(cocoImageId);
            if (imageId == null) {
                reading.problem(where + ": image_id " + cocoImageId + " matches no image of " + reading.labelsName()
                        + " (by image_id_str or file_name); fix the images entry or remove the annotation");
                continue;
            }
            if (!reading.knownImage(imageId, where)) {
                continue;
            }
            JsonNode bbox = annotation.path("bbox");
            if (bbox.size() != 4 || !Stream.of(0, 1, 2, 3).allMatch(i -> bbox.get(i).isNumber())) {
                reading.problem(where + ": bbox " + bbox + " is not [x,y,w,h]; fix the annotation");
                continue;
            }
            // Pixel box covering the (possibly fractional) COCO box.
            int x = (int) Math.floor(bbox.get(0).asDouble());
            int y = (int) Math.floor(bbox.get(1).asDouble());
            int right = (int) Math.ceil(bbox.get(0).asDouble() + bbox.get(2).asDouble());
            int bottom = (int) Math.ceil(bbox.get(1).asDouble() + bbox.get(3).asDouble());
            Box box = reading.box(where, "" + x, "" + y, "" + (right - x), "" + (bottom - y));
            String mask = annotation.path("mask_file").asText("");
            if (box != null) {
                Path maskFile = mask.isEmpty() ? null : reading.resolve(mask);
                regions.add(new ImageRegion(imageId, new Region(type, label, box, maskFile, where)));
            }
        }
        return regions;
    }

    private static String firstText(JsonNode preferred, JsonNode fallback) {
        if (preferred.isTextual() && !preferred.asText().isEmpty()) {
            return preferred.asText();
        }
        return fallback.isTextual() && !fallback.asText().isEmpty() ? fallback.asText() : DEFAULT_TYPE;
    }
}
