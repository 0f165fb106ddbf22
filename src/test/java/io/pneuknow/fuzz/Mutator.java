package io.pneuknow.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A seeded mutation fuzzer's input generator: each input is a valid seed changed by one to four of
 * byte flips, interesting byte values, 16- and 32-bit length-field edits (0, 1, 0x7F.., 0xFF.., both
 * byte orders), truncation, deletion, insertion, duplication of a run, and splices of two seeds. The
 * same seeds and seed number give the same inputs, so a failure is reproduced by its index.
 */
final class Mutator {
    private static final int[] BYTES = {0x00, 0x01, 0x7F, 0x80, 0xFF};
    private static final long[] WORDS = {0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL};

    private final List<byte[]> seeds;
    private final Random random;
    private final int maxLength;

    Mutator(List<byte[]> seeds, long seed, int maxLength) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("a mutator needs at least one seed");
        }
        this.seeds = List.copyOf(seeds);
        this.random = new Random(seed);
        this.maxLength = maxLength;
    }

    /** The next input: a mutated copy of a seed, at most {@code maxLength} bytes. */
    byte[] next() {
        byte[] bytes = seeds.get(random.nextInt(seeds.size())).clone();
        for (int k = 1 + random.nextInt(4); k > 0; k--) {
            bytes = mutate(bytes);
        }
        return bytes.length > maxLength ? Arrays.copyOf(bytes, maxLength) : bytes;
    }

    private byte[] mutate(byte[] bytes) {
        if (bytes.length == 0) {
            return seeds.get(random.nextInt(seeds.size())).clone();
        }
        // structure (headers, lengths) is at the start: half the edits fall in the first 512 bytes
        int span = random.nextBoolean() ? Math.min(512, bytes.length) : bytes.length;
        int at = random.nextInt(span);
        switch (random.nextInt(9)) {
            case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> bytes[at] = (byte) BYTES[random.nextInt(BYTES.length)];
            case 2 -> bytes[at] = (byte) random.nextInt(256);
            case 3, 4 -> word(bytes, at, random.nextBoolean() ? 2 : 4, WORDS[random.nextInt(WORDS.length)],
                    random.nextBoolean());
            case 5 -> bytes = Arrays.copyOf(bytes, at);
            case 6 -> {
                int length = 1 + random.nextInt(Math.min(64, bytes.length - at));
                byte[] shorter = new byte[bytes.length - length];
                System.arraycopy(bytes, 0, shorter, 0, at);
                System.arraycopy(bytes, at + length, shorter, at, bytes.length - at - length);
                bytes = shorter;
            }
            case 7 -> {
                int length = 1 + random.nextInt(Math.min(64, bytes.length - at));
                byte[] longer = new byte[bytes.length + length];
                System.arraycopy(bytes, 0, longer, 0, at + length);
                System.arraycopy(bytes, at, longer, at + length, bytes.length - at); // the run, twice
                bytes = longer;
            }
            default -> {
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                int from = random.nextInt(Math.max(1, other.length));
                byte[] spliced = Arrays.copyOf(bytes, at + other.length - from);
                System.arraycopy(other, from, spliced, at, other.length - from);
                bytes = spliced;
            }
        }
        return bytes;
    }

    private static void word(byte[] bytes, int at, int size, long value, boolean bigEndian) {
        for (int i = 0; i < size && at + i < bytes.length; i++) {
            int shift = 8 * (bigEndian ? size - 1 - i : i);
            bytes[at + i] = (byte) (value >>> shift);
        }
    }
}
