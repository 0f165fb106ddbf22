package io.pneuknow.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pneuknow.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads (and, for float32, writes) safetensors files: an 8-byte little-endian header length N, N bytes of
 * JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets
 * relative to the end of the header) plus an optional {@code "__metadata__"} object of strings, then the
 * raw little-endian tensor bytes. Tensors are read on demand, so opening a large file is cheap.
 *
 * <p>Floating-point tensors (F32, F16, BF16, F64) are returned as float arrays; integer tensors (I64, I32,
 * I16, I8, U8, BOOL) as long arrays. Every malformed header is a {@link BadInputException} naming the file.
 */
public final class Safetensors implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    /** Bytes per element of each supported dtype. */
    private static final Map<String, Integer> DTYPE_SIZES = Map.of(
            "F64", 8, "F32", 4, "F16", 2, "BF16", 2,
            "I64", 8, "I32", 4, "I16", 2, "I8", 1, "U8", 1, "BOOL", 1);

    /** One tensor's header entry; {@code begin} and {@code end} are absolute file offsets. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public boolean isFloat() {
            return dtype.startsWith("F") || dtype.equals("BF16");
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape);
        }
    }

    /** A float tensor to {@link #write}. */
    public record Tensor(long[] shape, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                        + " values, got " + data.length);
            }
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private Safetensors(Path file, FileChannel channel, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens a file and parses its header; close the result to release the file. */
    public static Safetensors open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new BadInputException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
        try {
            Safetensors result = parse(file, channel);
            channel = null;
            return result;
        } finally {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // the parse error is the one to report
                }
            }
        }
    }

    private static Safetensors parse(Path file, FileChannel channel) {
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw bad(file, "shorter than the 8-byte header length");
            }
            ByteBuffer len = readFully(channel, 0, 8);
            long headerLength = len.order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER || 8 + headerLength > fileSize) {
                throw bad(file, "header length " + headerLength + " does not fit a file of " + fileSize
                        + " bytes (not a safetensors file?)");
            }
            ByteBuffer headerBytes = readFully(channel, 8, (int) headerLength);
            JsonNode header;
            try {
                header = MAPPER.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw bad(file, "header is not JSON: " + e.getMessage());
            }
            if (header == null || !header.isObject()) {
                throw bad(file, "header is not a JSON object");
            }
            long dataStart = 8 + headerLength;
            long dataSize = fileSize - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String name = field.getKey();
                JsonNode value = field.getValue();
                if (name.equals("__metadata__")) {
                    if (!value.isObject()) {
                        throw bad(file, "__metadata__ is not an object");
                    }
                    value.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(name, entry(file, name, value, dataStart, dataSize));
            }
            return new Safetensors(file, channel, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new BadInputException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Entry entry(Path file, String name, JsonNode value, long dataStart, long dataSize) {
        JsonNode dtype = value.get("dtype");
        JsonNode shape = value.get("shape");
        JsonNode offsets = value.get("data_offsets");
        if (dtype == null || !dtype.isTextual() || shape == null || !shape.isArray()
                || offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw bad(file, "tensor '" + name + "' needs dtype, shape and data_offsets [begin, end]");
        }
        Integer elementSize = DTYPE_SIZES.get(dtype.asText());
        if (elementSize == null) {
            throw bad(file, "tensor '" + name + "' has unsupported dtype " + dtype.asText()
                    + "; supported: " + String.join(", ", DTYPE_SIZES.keySet()));
        }
        long[] dims = new long[shape.size()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            if (!shape.get(i).canConvertToLong() || shape.get(i).asLong() < 0) {
                throw bad(file, "tensor '" + name + "' has a bad shape " + shape);
            }
            dims[i] = shape.get(i).asLong();
            count *= dims[i];
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(file, "tensor '" + name + "' has data_offsets " + offsets + " outside the "
                    + dataSize + " data bytes (truncated file?)");
        }
        if (end - begin != count * elementSize) {
            throw bad(file, "tensor '" + name + "' of shape " + shape + " and dtype " + dtype.asText()
                    + " needs " + count * elementSize + " bytes, its offsets give " + (end - begin));
        }
        return new Entry(name, dtype.asText(), dims, dataStart + begin, dataStart + end);
    }

    private static BadInputException bad(Path file, String message) {
        return new BadInputException("safetensors file " + file + ": " + message);
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        buffer.flip();
        return buffer;
    }

    public Path file() {
        return file;
    }

    /** Tensor names in header order (without {@code __metadata__}). */
    public Set<String> keys() {
        return entries.keySet();
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new BadInputException("safetensors file " + file + " has no tensor '" + name + "'");
        }
        return e;
    }

    /** The {@code __metadata__} strings (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** A floating-point tensor's values, converted to float, in row-major order. */
    public float[] floats(String name) {
        Entry e = entry(name);
        if (!e.isFloat()) {
            throw new BadInputException("safetensors file " + file + ": tensor '" + name + "' is " + e.dtype()
                    + ", not floating point");
        }
        ByteBuffer raw = bytes(e);
        int n = Math.toIntExact(e.size());
        float[] out = new float[n];
        switch (e.dtype()) {
            case "F32" -> raw.asFloatBuffer().get(out);
            case "F64" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) raw.getDouble(8 * i);
                }
            }
            case "F16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = halfToFloat(raw.getShort(2 * i));
                }
            }
            case "BF16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((raw.getShort(2 * i) & 0xffff) << 16);
                }
            }
            default -> throw new IllegalStateException(e.dtype());
        }
        return out;
    }

    /** A floating-point tensor's values as doubles (exact for every dtype). */
    public double[] doubles(String name) {
        Entry e = entry(name);
        if (!e.dtype().equals("F64")) {
            float[] f = floats(name);
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
            return out;
        }
        double[] out = new double[Math.toIntExact(e.size())];
        bytes(e).asDoubleBuffer().get(out);
        return out;
    }

    /** An integer (or boolean) tensor's values as longs. */
    public long[] longs(String name) {
        Entry e = entry(name);
        if (e.isFloat()) {
            throw new BadInputException("safetensors file " + file + ": tensor '" + name + "' is " + e.dtype()
                    + ", not an integer type");
        }
        ByteBuffer raw = bytes(e);
        int n = Math.toIntExact(e.size());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (e.dtype()) {
                case "I64" -> raw.getLong(8 * i);
                case "I32" -> raw.getInt(4 * i);
                case "I16" -> raw.getShort(2 * i);
                case "I8" -> raw.get(i);
                case "U8", "BOOL" -> raw.get(i) & 0xff;
                default -> throw new IllegalStateException(e.dtype());
            };
        }
        return out;
    }

    private ByteBuffer bytes(Entry e) {
        long length = e.end() - e.begin();
        if (length > Integer.MAX_VALUE - 8) {
            throw new BadInputException("safetensors file " + file + ": tensor '" + e.name() + "' is over 2 GiB");
        }
        try {
            return readFully(channel, e.begin(), (int) length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException ex) {
            throw new UncheckedIOException("reading " + e.name() + " from " + file, ex);
        }
    }

    /** IEEE 754 binary16 bits to float (exact: every half value is a float). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) { // inf or NaN
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float value = mantissa * 0x1p-24f;
            return sign != 0 ? -value : value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * Writes float32 tensors (in the map's order) with optional metadata strings. Used by tests and by
     * {@link PretrainedWeights#export} to write our own weights under torchvision or timm names.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long offset = 0;
        List<Tensor> order = new ArrayList<>();
        for (Map.Entry<String, Tensor> t : tensors.entrySet()) {
            if (t.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("__metadata__ is not a tensor name");
            }
            long bytes = 4L * t.getValue().data().length;
            header.put(t.getKey(), Map.of("dtype", "F32", "shape", t.getValue().shape(),
                    "data_offsets", new long[] {offset, offset + bytes}));
            offset += bytes;
            order.add(t.getValue());
        }
        try {
            byte[] json = MAPPER.writeValueAsBytes(header);
            int padded = (json.length + 7) / 8 * 8;
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) {
                head.put((byte) ' ');
            }
            head.flip();
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, head);
                for (Tensor t : order) {
                    ByteBuffer data = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                    data.asFloatBuffer().put(t.data());
                    writeFully(out, data);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Hex SHA-256 of a file's bytes. */
    public static String sha256(Path file) {
        try (var in = Files.newInputStream(file)) {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
