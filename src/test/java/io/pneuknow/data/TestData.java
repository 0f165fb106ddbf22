package io.pneuknow.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Writes tiny synthetic images, masks and CSV files for the data tests. */
final class TestData {
    static final int WIDTH = 20;
    static final int HEIGHT = 10;

    private TestData() {
    }

    /** An 8-bit grey PNG filled with {@code value}. */
    static Path greyPng(Path file, int width, int height, int value) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.getRaster().setSample(x, y, 0, value);
            }
        }
        return write(image, "png", file);
    }

    /** A 0/255 mask PNG, 255 inside the box. */
    static Path maskPng(Path file, int width, int height, Box inside) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = inside.y(); y < inside.bottom(); y++) {
            for (int x = inside.x(); x < inside.right(); x++) {
                image.getRaster().setSample(x, y, 0, 255);
            }
        }
        return write(image, "png", file);
    }

    static Path write(BufferedImage image, String format, Path file) {
        try {
            Files.createDirectories(file.getParent());
            if (!ImageIO.write(image, format, file.toFile())) {
                throw new IllegalStateException("no writer for " + format);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path text(Path file, String... lines) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A small valid data set under {@code root}: six 20x10 grey PNGs, three classes, five patients,
     * a "keep" column (b2 has keep=0), a "fold" column, and regions.csv with lesion and anatomy boxes.
     */
    static DataSpec smallSet(Path root) {
        for (String id : List.of("a1", "a2", "a3", "b1", "b2", "c1")) {
            greyPng(root.resolve("images/" + id + ".png"), WIDTH, HEIGHT, 100);
        }
        maskPng(root.resolve("masks/a1_ggo.png"), WIDTH, HEIGHT, new Box(2, 2, 5, 5));
        text(root.resolve("labels.csv"),
                "image_id,file,class,patient_id,keep,fold,note",
                "a1,images/a1.png,covid,p1,1,0,\"serial, day 1\"",
                "a2,images/a2.png,covid,p1,1,0,",
                "a3,images/a3.png,covid,p2,1,1,",
                "b1,images/b1.png,healthy,p3,1,2,",
                "b2,images/b2.png,healthy,p4,0,1,",
                "c1,images/c1.png,viral,p5,1,2,");
        text(root.resolve("regions.csv"),
                "image_id,file,region_type,label,x,y,w,h,mask_file",
                "a1,images/a1.png,lesion,ggo,2,2,5,5,masks/a1_ggo.png",
                "a1,images/a1.png,anatomy,lung_left,0,0,10,10,",
                "b2,images/b2.png,lesion,ggo,1,1,3,3,",
                "c1,images/c1.png,lesion,consolidation,10,2,4,4,");
        return DataSpec.of(root).withRegionsCsv(Path.of("regions.csv"));
    }
}
