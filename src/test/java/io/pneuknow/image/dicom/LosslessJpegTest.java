package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The lossless JPEG decoder on streams from the test encoder (runs without dcmtk): every predictor,
 * 8-16 bits, point transform, restart intervals, the 16-bit difference category, and faults.
 * DicomReaderTest checks it against streams dcmtk writes.
 */
class LosslessJpegTest {
    private static final int WIDTH = 11;
    private static final int HEIGHT = 9;

    private static int[] noise(int bits, long seed) {
        Random random = new Random(seed);
        int[] samples = new int[WIDTH * HEIGHT];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = random.nextInt(1 << bits);
        }
        return samples;
    }

    @Test
    void decodesEveryPredictorWithAndWithoutRestarts() {
        for (int bits : new int[] {8, 12, 16}) {
            int[] samples = noise(bits, bits);
            for (int predictor = 1; predictor <= 7; predictor++) {
                for (int restartRows : new int[] {0, 1, 2}) { // every row: 8 restarts, so RST7 wraps to RST0
                    byte[] jpeg = LosslessEncoder.encode(samples, WIDTH, HEIGHT, bits, predictor, 0, restartRows);
                    assertThat(LosslessJpeg.decode(jpeg, WIDTH, HEIGHT))
                            .as("%d bits, predictor %d, restart every %d rows", bits, predictor, restartRows)
                            .containsExactly(samples);
                }
            }
        }
    }

    @Test
    void decodesTheLargestDifferenceAndAPointTransform() {
        int[] samples = noise(16, 3);
        samples[1] = 0;
        samples[2] = 32768; // difference 32768: category 16, no extra bits
        samples[3] = 0;
        assertThat(LosslessJpeg.decode(LosslessEncoder.encode(samples, WIDTH, HEIGHT, 16, 1, 0, 0), WIDTH, HEIGHT))
                .containsExactly(samples);

        int[] coarse = noise(12, 4);
        for (int i = 0; i < coarse.length; i++) {
            coarse[i] &= ~3; // a point transform of 2 keeps multiples of 4 exactly
        }
        assertThat(LosslessJpeg.decode(LosslessEncoder.encode(coarse, WIDTH, HEIGHT, 12, 6, 2, 3), WIDTH, HEIGHT))
                .containsExactly(coarse);
    }

    @Test
    void readsEncapsulatedPixelDataInBothLosslessSyntaxes() {
        int[] samples = noise(16, 5);
        samples[7] = 0;
        samples[50] = 65535; // the full range, so that grey values are samples / 65535
        byte[] jpeg = LosslessEncoder.encode(samples, WIDTH, HEIGHT, 16, 4, 0, 2);
        for (String syntax : new String[] {"1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}) {
            byte[] file = encapsulated(syntax, jpeg, 16);

            DicomImage image = DicomFiles.read(file, "lossless.dcm");

            assertThat(image.header().transferSyntaxUid()).isEqualTo(syntax);
            DicomStructureTest.assertExactly(image.image(), samples, 65535);
        }
    }

    @Test
    void refusesStreamsItCannotDecodeWithTheReason() {
        int[] samples = noise(12, 6);
        byte[] jpeg = LosslessEncoder.encode(samples, WIDTH, HEIGHT, 12, 1, 0, 0);

        byte[] truncated = Arrays.copyOf(jpeg, jpeg.length - 20);
        assertThatThrownBy(() -> LosslessJpeg.decode(truncated, WIDTH, HEIGHT))
                .hasMessageContaining("before the last pixel");
        assertThatThrownBy(() -> LosslessJpeg.decode(jpeg, WIDTH + 1, HEIGHT))
                .hasMessageContaining("DICOM JPEG stream is 11x9 pixels but the header says 12x9");
        byte[] baselineFrame = jpeg.clone();
        baselineFrame[indexOf(baselineFrame, 0xC3)] = (byte) 0xC0;
        assertThatThrownBy(() -> LosslessJpeg.decode(baselineFrame, WIDTH, HEIGHT))
                .hasMessageContaining("holds a JPEG frame of type SOF0, not lossless process 14 (SOF3)");
        byte[] halfLineRestarts = LosslessEncoder.encode(samples, WIDTH, HEIGHT, 12, 1, 0, 1);
        halfLineRestarts[indexOf(halfLineRestarts, 0xDD) + 4] = 5; // interval 5 samples in 11-sample lines
        assertThatThrownBy(() -> LosslessJpeg.decode(halfLineRestarts, WIDTH, HEIGHT))
                .hasMessageContaining("restarts inside image lines (interval 5 for 11 columns)");
        byte[] otherTable = jpeg.clone();
        otherTable[indexOf(otherTable, 0xDA) + 5] = 0x10; // the scan asks for DC table 1
        assertThatThrownBy(() -> LosslessJpeg.decode(otherTable, WIDTH, HEIGHT))
                .hasMessageContaining("uses a Huffman table the stream does not define");

        assertThatThrownBy(() -> DicomFiles.read(encapsulated("1.2.840.10008.1.2.4.70", truncated, 12), "cut.dcm"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("cut.dcm: DICOM JPEG lossless pixel data cannot be decoded (")
                .hasMessageEndingWith("check it with dcmtk: dcmdjpeg in.dcm out.dcm");
    }

    /** A DICOM file whose pixel data is the stream in one fragment after an empty offset table. */
    static byte[] encapsulated(String syntax, byte[] jpeg, int bits) {
        DicomBytes file = DicomBytes.withPatient(syntax);
        file.us(0x00280002, 1).text(0x00280004, "CS", "MONOCHROME2").us(0x00280010, HEIGHT).us(0x00280011, WIDTH)
                .us(0x00280100, 16).us(0x00280101, bits).us(0x00280102, bits - 1).us(0x00280103, 0);
        byte[] fragment = Arrays.copyOf(jpeg, jpeg.length + jpeg.length % 2);
        file.header(0x7FE00010, "OB", DicomBytes.UNDEFINED).item(0xFFFEE000, 0)
                .item(0xFFFEE000, fragment.length).raw(fragment).item(0xFFFEE0DD, 0);
        return file.build();
    }

    /** The position of the byte after the first FF {@code marker}. */
    private static int indexOf(byte[] jpeg, int marker) {
        for (int i = 0; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xFF && (jpeg[i + 1] & 0xff) == marker) {
                return i + 1;
            }
        }
        throw new AssertionError("marker FF" + Integer.toHexString(marker) + " not found");
    }
}
