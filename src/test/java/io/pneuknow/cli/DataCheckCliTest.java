package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code data check} lists every problem of labels and regions at once, a missing image file included. */
class DataCheckCliTest {
    @Test
    void aMissingImageDoesNotHideTheOtherProblems(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("images"));
        for (String id : new String[] {"a1", "b1", "c1"}) {
            ImageIO.write(new BufferedImage(20, 10, BufferedImage.TYPE_BYTE_GRAY), "png", dir.resolve("images/" + id + ".png").toFile());
        }
        Files.writeString(dir.resolve("labels.csv"), String.join("\n", "image_id,file,class,patient_id",
                "a1,images/a1.png,covid,p1",
                "a2,images/missing.png,covid,p2",
                "b1,images/b1.png,healthy,p3",
                "c1,images/c1.png,flu,p4") + "\n");
        Files.writeString(dir.resolve("regions.csv"), String.join("\n", "image_id,x,y,w,h,label,mask_file",
                "a2,-3,0,5,5,ggo,",
                "a2,2,2,5,5,ggo,masks/a2_ggo.png",
                "b1,15,0,10,5,ggo,",
                "zz,0,0,2,2,ggo,",
                "a1,1,1,2,2,ggo,") + "\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "data", "check", "--data",
                dir.toString(), "--regions", "regions.csv", "--classes", "covid,healthy");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString().lines().toList()).hasSize(7).satisfiesExactlyInAnyOrder(
                line -> assertThat(line).startsWith("error: 6 problems in " + dir.resolve("labels.csv")),
                line -> assertThat(line).startsWith("labels.csv row 2: image file images/missing.png not found"),
                line -> assertThat(line).startsWith("labels.csv row 4: class 'flu' of image 'c1' is not in the class list"),
                line -> assertThat(line).isEqualTo("regions.csv row 1: box x=-3 starts left of the image"
                        + " (images/missing.png, not found, so its far edges are not checked); fix the box or crop it to the image"),
                line -> assertThat(line).isEqualTo("regions.csv row 2: mask file masks/a2_ggo.png not found; fix mask_file or add the file"),
                line -> assertThat(line).isEqualTo("regions.csv row 3: box x=15,w=10 ends at 25, past image width 20"
                        + " (images/b1.png); fix the box or crop it to the image"),
                line -> assertThat(line).startsWith("regions.csv row 4: image id 'zz' is not in labels.csv"));
    }
}
