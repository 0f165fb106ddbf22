package io.pneuknow.image.dicom;

/**
 * A decoder for lossless JPEG (ITU-T T.81 process 14, SOF3) with one component: Huffman-coded
 * differences from one of the seven predictors, 2-16 bits, point transform and restart intervals of
 * whole lines; what DICOM's JPEG lossless transfer syntaxes (1.2.840.10008.1.2.4.57 and .70) carry.
 * Written here because the JDK has no lossless JPEG decoder and TwelveMonkeys' (3.14) leaves the
 * last pixel 0 in some valid files. Every read is bounds-checked; a corrupt stream ends in a
 * {@link DicomException}.
 */
final class LosslessJpeg {
    private final byte[] data;
    private int pos;
    private final int[][] counts = new int[4][];
    private final int[][] values = new int[4][];
    private int precision;
    private int width;
    private int height;
    private int restartInterval;

    // bit reader: up to 64 bits read ahead; once a marker or the end is met, zero bits are supplied
    // instead ("phantom" bits) and using any of them is an error
    private long buffer;
    private int bits;
    private int phantom;
    private boolean stopped;

    private LosslessJpeg(byte[] data) {
        this.data = data;
    }

    /** The decoded samples (row-major, shifted back by the point transform); the frame must be columns x rows. */
    static int[] decode(byte[] data, int columns, int rows) {
        return new LosslessJpeg(data).decode(columns, rows);
    }

    private int[] decode(int columns, int rows) {
        if (data.length < 4 || u8(0) != 0xFF || u8(1) != 0xD8) {
            throw corrupt("the JPEG stream does not start with SOI");
        }
        pos = 2;
        boolean frame = false;
        while (true) {
            int marker = nextMarker();
            if (marker == 0xD9) {
                throw corrupt("the JPEG stream ends before its scan");
            }
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
                throw corrupt("unexpected JPEG marker FF" + hex(marker));
            }
            int length = u16(pos);
            if (length < 2 || pos + length > data.length) {
                throw corrupt("JPEG segment FF" + hex(marker) + " runs past the end of the data");
            }
            int start = pos + 2;
            int end = pos + length;
            pos = end;
            if (marker == 0xC3) {
                frame(start, end, columns, rows);
                frame = true;
            } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                throw new DicomException("DICOM JPEG lossless pixel data holds a JPEG frame of type SOF"
                        + (marker - 0xC0) + ", not lossless process 14 (SOF3); decompress it with dcmtk: "
                        + "dcmdjpeg in.dcm out.dcm");
            } else if (marker == 0xC4) {
                huffmanTables(start, end);
            } else if (marker == 0xDD) {
                if (end - start < 2) {
                    throw corrupt("JPEG restart interval segment is too short");
                }
                restartInterval = u16(start);
            } else if (marker == 0xDC) {
                throw corrupt("JPEG streams that give their height after the scan (DNL) are not read");
            } else if (marker == 0xDA) {
                if (!frame) {
                    throw corrupt("JPEG scan before its frame header");
                }
                return scan(start, end);
            }
        }
    }

    /** The next marker's code, after any fill bytes; {@code pos} is left after it. */
    private int nextMarker() {
        if (pos >= data.length || u8(pos) != 0xFF) {
            throw corrupt("JPEG marker expected at byte " + pos + " of the stream");
        }
        while (pos < data.length && u8(pos) == 0xFF) {
            pos++;
        }
        if (pos >= data.length) {
            throw corrupt("the JPEG stream ends inside a marker");
        }
        return u8(pos++);
    }

    private void frame(int start, int end, int columns, int rows) {
        if (end - start < 6) {
            throw corrupt("JPEG frame header is too short");
        }
        precision = u8(start);
        height = u16(start + 1);
        width = u16(start + 3);
        int components = u8(start + 5);
        if (precision < 2 || precision > 16) {
            throw corrupt("JPEG sample precision " + precision + " is outside 2-16");
        }
        if (components != 1) {
            throw new DicomException("DICOM JPEG stream has " + components + " components where a greyscale image "
                    + "has 1; give the original greyscale radiograph");
        }
        if (width != columns || height != rows) {
            throw new DicomException("DICOM JPEG stream is " + width + "x" + height + " pixels but the header says "
                    + columns + "x" + rows + "; the file is corrupt; re-export it from the archive");
        }
    }

    private void huffmanTables(int start, int end) {
        int at = start;
        while (at < end) {
            if (at + 17 > end) {
                throw corrupt("JPEG Huffman table segment is too short");
            }
            int classAndId = u8(at);
            int id = classAndId & 0x0F;
            if (id > 3 || (classAndId >> 4) > 1) {
                throw corrupt("JPEG Huffman table has an invalid class or id");
            }
            int[] count = new int[17];
            int total = 0;
            long code = 0;
            for (int length = 1; length <= 16; length++) {
                count[length] = u8(at + length);
                total += count[length];
                code = (code + count[length]) << 1;
                if (code > (2L << length)) {
                    throw corrupt("JPEG Huffman table has more codes than its lengths allow");
                }
            }
            at += 17;
            if (total > 256 || at + total > end) {
                throw corrupt("JPEG Huffman table values run past their segment");
            }
            int[] value = new int[total];
            for (int i = 0; i < total; i++) {
                value[i] = u8(at + i);
            }
            at += total;
            if ((classAndId >> 4) == 0) { // lossless uses DC tables only
                counts[id] = count;
                values[id] = value;
            }
        }
    }

    private int[] scan(int start, int end) {
        if (end - start < 6 || u8(start) != 1) {
            throw new DicomException("DICOM JPEG scan does not hold exactly one component; "
                    + "decompress it with dcmtk: dcmdjpeg in.dcm out.dcm");
        }
        int table = u8(start + 2) >> 4;
        int predictor = u8(start + 3);
        int pointTransform = u8(start + 5) & 0x0F;
        if (table > 3 || counts[table] == null) {
            throw corrupt("JPEG scan uses a Huffman table the stream does not define");
        }
        if (predictor < 1 || predictor > 7) {
            throw corrupt("JPEG lossless predictor " + predictor + " is outside 1-7");
        }
        if (pointTransform >= precision) {
            throw corrupt("JPEG point transform " + pointTransform + " is not below the precision " + precision);
        }
        int restartRows = 0;
        if (restartInterval > 0) {
            if (restartInterval % width != 0) {
                throw new DicomException("DICOM JPEG lossless stream restarts inside image lines (interval "
                        + restartInterval + " for " + width + " columns), which is not read; decompress it with "
                        + "dcmtk: dcmdjpeg in.dcm out.dcm");
            }
            restartRows = restartInterval / width;
        }
        if ((long) (data.length - pos) * 8 < (long) width * height) { // every sample takes at least one bit
            throw corrupt("the JPEG data is too short for " + width + "x" + height + " samples");
        }
        Huffman huffman = new Huffman(counts[table], values[table]);
        int initial = 1 << (precision - pointTransform - 1);
        int[] samples = new int[width * height];
        int i = 0;
        int restarts = 0;
        for (int y = 0; y < height; y++) {
            boolean firstLine = y == 0;
            if (restartRows > 0 && y > 0 && y % restartRows == 0) {
                restart(restarts++);
                firstLine = true;
            }
            for (int x = 0; x < width; x++, i++) {
                int prediction;
                if (firstLine) {
                    prediction = x == 0 ? initial : samples[i - 1];
                } else if (x == 0) {
                    prediction = samples[i - width];
                } else {
                    int left = samples[i - 1];
                    int above = samples[i - width];
                    int corner = samples[i - width - 1];
                    prediction = switch (predictor) {
                        case 1 -> left;
                        case 2 -> above;
                        case 3 -> corner;
                        case 4 -> left + above - corner;
                        case 5 -> left + ((above - corner) >> 1);
                        case 6 -> above + ((left - corner) >> 1);
                        default -> (left + above) >> 1;
                    };
                }
                samples[i] = (prediction + difference(huffman)) & 0xFFFF;
            }
        }
        if (pointTransform > 0) {
            for (int k = 0; k < samples.length; k++) {
                samples[k] = (samples[k] << pointTransform) & 0xFFFF;
            }
        }
        return samples;
    }

    private int difference(Huffman huffman) {
        int category = huffman.decode(this);
        if (category == 0) {
            return 0;
        }
        if (category == 16) {
            return 32768;
        }
        if (category > 16) {
            throw corrupt("JPEG difference category " + category + " is above 16");
        }
        int value = take(category);
        return value < (1 << (category - 1)) ? value - (1 << category) + 1 : value;
    }

    /** Drops the padding bits before a restart marker and reads the expected marker RSTn. */
    private void restart(int count) {
        if (bits - phantom >= 8) {
            throw corrupt("JPEG data continues where restart marker RST" + (count % 8) + " was expected");
        }
        buffer = 0;
        bits = 0;
        phantom = 0;
        stopped = false;
        int marker = nextMarker();
        if (marker != 0xD0 + (count % 8)) {
            throw corrupt("JPEG restart marker RST" + (count % 8) + " expected, FF" + hex(marker) + " found");
        }
    }

    /** Makes at least 57 bits available, reading bytes (FF 00 is a data byte FF) until a marker or the end. */
    private void fill() {
        while (bits <= 56) {
            if (!stopped && pos < data.length) {
                int value = u8(pos);
                if (value != 0xFF) {
                    pos++;
                } else if (pos + 1 < data.length && u8(pos + 1) == 0) {
                    pos += 2;
                } else {
                    stopped = true; // a marker: leave it for restart() or the end
                    continue;
                }
                buffer = (buffer << 8) | value;
            } else {
                stopped = true;
                buffer <<= 8;
                phantom += 8;
            }
            bits += 8;
        }
    }

    /** The next {@code count} (1-16) bits without consuming them. */
    private int peek(int count) {
        if (bits < count) {
            fill();
        }
        return (int) (buffer >>> (bits - count)) & ((1 << count) - 1);
    }

    private void skip(int count) {
        bits -= count;
        if (bits < phantom) {
            throw corrupt("the JPEG data ends before the last pixel");
        }
    }

    private int take(int count) {
        int value = peek(count);
        skip(count);
        return value;
    }

    /** A DC Huffman table (T.81 F.2.2.3), with a table for codes of up to {@value #FAST} bits. */
    private static final class Huffman {
        private static final int FAST = 9;
        private final int[] maxCode = new int[17];
        private final int[] minCode = new int[17];
        private final int[] firstIndex = new int[17];
        private final int[] values;
        /** By the next FAST bits: code length << 8 | value, or 0 when the code is longer. */
        private final int[] fast = new int[1 << FAST];

        Huffman(int[] count, int[] values) {
            this.values = values;
            int code = 0;
            int index = 0;
            for (int length = 1; length <= 16; length++) {
                firstIndex[length] = index;
                minCode[length] = code;
                for (int k = 0; k < count[length]; k++, code++, index++) {
                    if (length <= FAST) {
                        int first = code << (FAST - length);
                        for (int fill = 0; fill < 1 << (FAST - length); fill++) {
                            fast[first + fill] = length << 8 | values[index];
                        }
                    }
                }
                maxCode[length] = count[length] > 0 ? code - 1 : -1;
                code <<= 1;
            }
        }

        int decode(LosslessJpeg in) {
            int entry = fast[in.peek(FAST)];
            if (entry != 0) {
                in.skip(entry >> 8);
                return entry & 0xFF;
            }
            int code = 0;
            for (int length = 1; length <= 16; length++) {
                code = (code << 1) | in.take(1);
                if (code <= maxCode[length] && code >= minCode[length]) {
                    return values[firstIndex[length] + code - minCode[length]];
                }
            }
            throw corrupt("the JPEG data holds a code its Huffman table does not define");
        }
    }

    private int u8(int at) {
        return data[at] & 0xff;
    }

    private int u16(int at) {
        if (at + 2 > data.length) {
            throw corrupt("the JPEG stream ends inside a segment header");
        }
        return u8(at) << 8 | u8(at + 1);
    }

    private static String hex(int marker) {
        return String.format("%02X", marker);
    }

    private static DicomException corrupt(String detail) {
        return new DicomException("DICOM JPEG lossless pixel data cannot be decoded (" + detail + "); the file is "
                + "truncated or corrupt; check it with dcmtk: dcmdjpeg in.dcm out.dcm");
    }
}
