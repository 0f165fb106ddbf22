package io.pneuknow.image.dicom;

import java.io.ByteArrayOutputStream;

/**
 * A small lossless JPEG (process 14) encoder for tests: one component, any predictor, point
 * transform and restart intervals of whole lines (which dcmtk cannot write), with a fixed Huffman
 * table whose codes run from 2 to 14 bits.
 */
final class LosslessEncoder {
    /** Number of codes of each length 1..16 and the categories they stand for, in order. */
    private static final int[] COUNTS = {0, 1, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    private static final int[] CATEGORIES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final int[] code = new int[17];
    private final int[] length = new int[17];
    private int accumulator;
    private int pending;

    private LosslessEncoder() {
        int next = 0;
        int symbol = 0;
        for (int bits = 1; bits <= 16; bits++) {
            for (int k = 0; k < COUNTS[bits - 1]; k++, next++, symbol++) {
                code[CATEGORIES[symbol]] = next;
                length[CATEGORIES[symbol]] = bits;
            }
            next <<= 1;
        }
    }

    /** A JPEG stream of the samples; {@code restartRows} 0 for none. */
    static byte[] encode(int[] samples, int width, int height, int precision, int predictor, int pointTransform,
            int restartRows) {
        return new LosslessEncoder().run(samples, width, height, precision, predictor, pointTransform, restartRows);
    }

    private byte[] run(int[] samples, int width, int height, int precision, int predictor, int pointTransform,
            int restartRows) {
        marker(0xD8);
        marker(0xC4);
        short16(2 + 1 + 16 + CATEGORIES.length);
        out.write(0x00);
        for (int count : COUNTS) {
            out.write(count);
        }
        for (int category : CATEGORIES) {
            out.write(category);
        }
        marker(0xC3);
        short16(11);
        out.write(precision);
        short16(height);
        short16(width);
        out.writeBytes(new byte[] {1, 1, 0x11, 0});
        if (restartRows > 0) {
            marker(0xDD);
            short16(4);
            short16(restartRows * width);
        }
        marker(0xDA);
        short16(8);
        out.writeBytes(new byte[] {1, 1, 0x00, (byte) predictor, 0, (byte) pointTransform});
        int[] shifted = new int[samples.length];
        for (int i = 0; i < samples.length; i++) {
            shifted[i] = samples[i] >> pointTransform;
        }
        int initial = 1 << (precision - pointTransform - 1);
        int restarts = 0;
        for (int y = 0, i = 0; y < height; y++) {
            boolean firstLine = y == 0;
            if (restartRows > 0 && y > 0 && y % restartRows == 0) {
                flush();
                marker(0xD0 + restarts++ % 8);
                firstLine = true;
            }
            for (int x = 0; x < width; x++, i++) {
                int prediction;
                if (firstLine) {
                    prediction = x == 0 ? initial : shifted[i - 1];
                } else if (x == 0) {
                    prediction = shifted[i - width];
                } else {
                    int a = shifted[i - 1];
                    int b = shifted[i - width];
                    int c = shifted[i - width - 1];
                    prediction = switch (predictor) {
                        case 1 -> a;
                        case 2 -> b;
                        case 3 -> c;
                        case 4 -> a + b - c;
                        case 5 -> a + ((b - c) >> 1);
                        case 6 -> b + ((a - c) >> 1);
                        default -> (a + b) >> 1;
                    };
                }
                int difference = (shifted[i] - prediction) & 0xFFFF;
                if (difference >= 32768) {
                    difference -= 65536;
                }
                writeDifference(difference);
            }
        }
        flush();
        marker(0xD9);
        return out.toByteArray();
    }

    private void writeDifference(int difference) {
        if (difference == -32768) {
            bits(code[16], length[16]);
            return;
        }
        int magnitude = Math.abs(difference);
        int category = magnitude == 0 ? 0 : 32 - Integer.numberOfLeadingZeros(magnitude);
        bits(code[category], length[category]);
        if (category > 0) {
            bits(difference > 0 ? difference : difference + (1 << category) - 1, category);
        }
    }

    private void bits(int value, int count) {
        for (int k = count - 1; k >= 0; k--) {
            accumulator = accumulator << 1 | ((value >> k) & 1);
            if (++pending == 8) {
                emit();
            }
        }
    }

    /** Pads the last byte with 1-bits. */
    private void flush() {
        while (pending != 0) {
            bits(1, 1);
        }
    }

    private void emit() {
        int value = accumulator & 0xFF;
        out.write(value);
        if (value == 0xFF) {
            out.write(0); // byte stuffing
        }
        accumulator = 0;
        pending = 0;
    }

    private void marker(int code) {
        out.write(0xFF);
        out.write(code);
    }

    private void short16(int value) {
        out.write(value >> 8);
        out.write(value & 0xFF);
    }
}
