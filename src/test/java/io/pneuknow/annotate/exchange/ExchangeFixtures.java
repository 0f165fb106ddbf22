package io.pneuknow.annotate.exchange;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A hand-made data set of three 20x16 grey PNGs (a, b: pneumonia, train; c: normal, test) with its region files:
 * regions.csv (two lesion boxes, one anatomy box, one box with a mask file), coco.json (the same regions as COCO)
 * and masks/ (a.png: lesion pixels x 2..6, y 3..6; b_consolidation.png: x 0..3, y 10..11).
 */
public final class ExchangeFixtures {
    public static final String REGIONS_CSV = """
            image_id,x,y,w,h,label,region_type,mask_file
            a,2,3,5,4,opacity,lesion,
            a,10,1,6,8,left,anatomy,
            b,0,10,4,2,consolidation,lesion,masks/b_consolidation.png
            b,12,0,3,3,opacity,lesion,
            """;

    public static final String COCO = """
            {"images": [{"id": 7, "file_name": "images/a.png"}, {"id": 8, "file_name": "images/b.png", "image_id_str": "b"}],
             "categories": [{"id": 1, "name": "opacity", "supercategory": "lesion"},
                            {"id": 2, "name": "left", "supercategory": "anatomy"}],
             "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [2, 3, 5, 4]},
                             {"id": 2, "image_id": 7, "category_id": 2, "bbox": [10, 1, 6, 8]},
                             {"id": 3, "image_id": 8, "category_id": 1, "bbox": [12, 0, 3, 3], "mask_file": "masks/b_consolidation.png"}]}
            """;

    private ExchangeFixtures() {
    }

    /** Writes the data set into {@code root}. */
    public static void write(Path root) throws IOException {
        Files.createDirectories(root.resolve("images"));
        Files.createDirectories(root.resolve("masks"));
        for (String id : new String[] {"a", "b", "c"}) {
            BufferedImage image = new BufferedImage(20, 16, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 20; x++) {
                    image.getRaster().setSample(x, y, 0, (x * 7 + y * 3 + id.charAt(0)) % 256);
                }
            }
            ImageIO.write(image, "png", root.resolve("images/" + id + ".png").toFile());
        }
        Files.writeString(root.resolve("labels.csv"), """
                image_id,file,class,patient_id,split
                a,images/a.png,pneumonia,p1,train
                b,images/b.png,pneumonia,p2,train
                c,images/c.png,normal,p3,test
                """);
        Files.writeString(root.resolve("regions.csv"), REGIONS_CSV);
        Files.writeString(root.resolve("coco.json"), COCO);
        mask(root.resolve("masks/a.png"), 2, 3, 5, 4);
        mask(root.resolve("masks/b_consolidation.png"), 0, 10, 4, 2);
    }

    /** A 20x16 mask PNG: 255 inside the box, 0 outside. */
    static void mask(Path file, int x0, int y0, int w, int h) throws IOException {
        BufferedImage mask = new BufferedImage(20, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = y0; y < y0 + h; y++) {
            for (int x = x0; x < x0 + w; x++) {
                mask.getRaster().setSample(x, y, 0, 255);
            }
        }
        ImageIO.write(mask, "png", file.toFile());
    }
}
