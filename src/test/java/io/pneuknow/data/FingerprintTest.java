package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FingerprintTest {
    @TempDir
    Path root;

    @Test
    void isStableAcrossLoads() {
        DataSpec spec = TestData.smallSet(root);

        String first = Fingerprint.of(DatasetLoader.load(spec));

        assertThat(first).hasSize(64).matches("[0-9a-f]+");
        assertThat(Fingerprint.of(DatasetLoader.load(spec))).isEqualTo(first);
    }

    @Test
    void changesWithOneLabel() throws Exception {
        DataSpec spec = TestData.smallSet(root);
        String before = Fingerprint.of(DatasetLoader.load(spec));
        Path labels = root.resolve("labels.csv");
        Files.writeString(labels, Files.readString(labels).replace("c1,images/c1.png,viral", "c1,images/c1.png,covid"));

        assertThat(Fingerprint.of(DatasetLoader.load(spec))).isNotEqualTo(before);
    }

    @Test
    void changesWithOneByteOfOneImageOrMask() throws Exception {
        Dataset dataset = DatasetLoader.load(TestData.smallSet(root));
        String before = Fingerprint.of(dataset);

        flipLastByte(root.resolve("images/b1.png"));
        String afterImage = Fingerprint.of(dataset);
        flipLastByte(root.resolve("masks/a1_ggo.png"));
        String afterMask = Fingerprint.of(dataset);

        assertThat(afterImage).isNotEqualTo(before);
        assertThat(afterMask).isNotEqualTo(afterImage);
    }

    @Test
    void changesWithOneBox() {
        DataSpec spec = TestData.smallSet(root);
        String before = Fingerprint.of(DatasetLoader.load(spec));
        TestData.text(root.resolve("regions.csv"), "image_id,x,y,w,h,label", "a1,2,2,5,4,ggo");
        String oneBox = Fingerprint.of(DatasetLoader.load(spec));
        TestData.text(root.resolve("regions.csv"), "image_id,x,y,w,h,label", "a1,2,2,5,5,ggo");

        assertThat(oneBox).isNotEqualTo(before);
        assertThat(Fingerprint.of(DatasetLoader.load(spec))).isNotEqualTo(oneBox);
    }

    private static void flipLastByte(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);
    }
}
