package io.pneuknow.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVRecord;

/** Regions from a CSV of boxes: {@code image_id,x,y,w,h,label}, optionally {@code region_type} and {@code mask_file}. */
record RegionsCsvSource(Path file) implements RegionSource {
    private static final List<String> COLUMNS = List.of("image_id", "x", "y", "w", "h", "label");

    @Override
    public List<ImageRegion> read(RegionReading reading) {
        List<ImageRegion> regions = new ArrayList<>();
        String name = reading.show(file);
        if (!Files.isRegularFile(file)) {
            reading.problem(name + ": regions file not found; check the path in the data spec");
            return regions;
        }
        Csv.Table table = Csv.read(file, name);
        List<String> missing = table.missing(COLUMNS);
        if (!missing.isEmpty()) {
            reading.problem(name + " header: columns " + missing + " not found (columns: " + String.join(", ", table.header())
                    + "); a regions CSV needs image_id,x,y,w,h,label and may have region_type,mask_file");
            return regions;
        }
        for (CSVRecord record : table.records()) {
            String where = name + " row " + record.getRecordNumber();
            String imageId = Csv.get(record, "image_id");
            String type = Csv.get(record, "region_type").isEmpty() ? DEFAULT_TYPE : Csv.get(record, "region_type");
            String label = Csv.get(record, "label");
            if (!reading.keeps(type, label) || !reading.knownImage(imageId, where)) {
                continue;
            }
            Box box = reading.box(where, Csv.get(record, "x"), Csv.get(record, "y"), Csv.get(record, "w"),
                    Csv.get(record, "h"));
            String mask = Csv.get(record, "mask_file");
            Path maskFile = mask.isEmpty() ? null : reading.resolve(mask);
            if (box != null) {
                regions.add(new ImageRegion(imageId, new Region(type, label, box, maskFile, where)));
            }
        }
        return regions;
    }
}
