package io.pneuknow.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFormatsTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    private static final byte[] JPEG_MAGIC = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0};

    @TempDir
    Path dir;

    /** 132 bytes: a preamble that starts like {@code start}, then "DICM". */
    private static byte[] dicomHead(byte[] start) {
        byte[] head = Arrays.copyOf(start, 132);
        head[128] = 'D';
        head[129] = 'I';
        head[130] = 'C';
        head[131] = 'M';
        return head;
    }

    @Test
    void oneListOfExtensionsAndNames() {
        assertThat(ImageFormats.extensions()).containsExactly(".png", ".jpg", ".jpeg", ".dcm", ".dicom");
        assertThat(ImageFormats.all()).extracting(ImageFormat::name).containsExactly("png", "jpeg", "dicom");
    }

    @Test
    void namesAreMatchedByEndingInAnyCase() {
        assertThat(ImageFormats.named(Path.of("a/b.PNG"))).isTrue();
        assertThat(ImageFormats.named(Path.of("b.Jpeg"))).isTrue();
        assertThat(ImageFormats.named(Path.of("b.dicom"))).isTrue();
        assertThat(ImageFormats.named(Path.of("b.png.txt"))).isFalse();
        assertThat(ImageFormats.named(Path.of("b.bmp"))).isFalse();
        assertThat(ImageFormats.byExtension(Path.of("x.JPG"))).contains(ImageFormats.JPEG);
        assertThat(ImageFormats.byExtension(Path.of("x.dcm"))).contains(ImageFormats.DICOM);
    }

    @Test
    void contentIsSniffedByMagicBytesDicomFirst() {
        assertThat(ImageFormats.sniff(PNG_MAGIC)).contains(ImageFormats.PNG);
        assertThat(ImageFormats.sniff(JPEG_MAGIC)).contains(ImageFormats.JPEG);
        assertThat(ImageFormats.sniff(dicomHead(new byte[0]))).contains(ImageFormats.DICOM);
        assertThat(ImageFormats.sniff(dicomHead(PNG_MAGIC))).contains(ImageFormats.DICOM);
        assertThat(ImageFormats.sniff("GIF89a".getBytes())).isEqualTo(Optional.empty());
        assertThat(ImageFormats.sniff(new byte[0])).isEqualTo(Optional.empty());
        assertThat(ImageFormats.sniff(Arrays.copyOf(PNG_MAGIC, 7))).isEqualTo(Optional.empty());
    }

    @Test
    void aFileIsReadAsDicomByNameOrPreambleElseByNameOrContent() throws Exception {
        Path preambleOnly = Files.write(dir.resolve("scan"), dicomHead(new byte[0]));
        Path pngNamedPreamble = Files.write(dir.resolve("scan.png"), dicomHead(PNG_MAGIC));
        Path jpegWithoutName = Files.write(dir.resolve("photo"), JPEG_MAGIC);
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");

        assertThat(ImageFormats.forFile(preambleOnly)).isSameAs(ImageFormats.DICOM);
        assertThat(ImageFormats.forFile(pngNamedPreamble)).isSameAs(ImageFormats.DICOM);
        assertThat(ImageFormats.forFile(dir.resolve("absent.dcm"))).isSameAs(ImageFormats.DICOM);
        assertThat(ImageFormats.forFile(jpegWithoutName)).isSameAs(ImageFormats.JPEG);
        assertThat(ImageFormats.forFile(dir.resolve("absent.PNG"))).isSameAs(ImageFormats.PNG);
        assertThat(ImageFormats.forFile(text)).isSameAs(ImageFormats.OTHER);
        assertThat(ImageFormats.forBytes("hello".getBytes())).isSameAs(ImageFormats.OTHER);
    }

    @Test
    void anotherFormatImageIoReadsIsStillReadWhenGivenByName() throws Exception {
        BufferedImage image = new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(2, 1, 0, 255);
        Path bmp = dir.resolve("x.bmp");
        assertThat(ImageIO.write(image, "bmp", bmp.toFile())).isTrue();

        assertThat(ImageFormats.forFile(bmp)).isSameAs(ImageFormats.OTHER);
        GreyImage grey = ImageFiles.read(bmp);
        assertThat(grey.width()).isEqualTo(5);
        assertThat(grey.get(2, 1)).isEqualTo(1f);
        assertThat(grey.get(0, 0)).isEqualTo(0f);
        assertThat(ImageFiles.dimensions(bmp)).isEqualTo(new ImageFiles.Dimensions(5, 4));
    }

    @Test
    void luminanceWeighsRedGreenAndBlueAsBt601() {
        assertThat(GreyImage.luminance(255, 0, 0)).isEqualTo(0.299 * 255);
        assertThat(GreyImage.luminance(0, 255, 0)).isEqualTo(0.587 * 255);
        assertThat(GreyImage.luminance(10, 20, 30)).isEqualTo(0.299 * 10 + 0.587 * 20 + 0.114 * 30);
    }
}
