package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void writesAndReadsFloat32WithMetadata() {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b.weight", new Safetensors.Tensor(new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-8f, -7}));
        tensors.put("a.scalar", new Safetensors.Tensor(new long[] {}, new float[] {42}));
        Path file = dir.resolve("t.safetensors");
        Safetensors.write(file, tensors, Map.of("format", "pt"));
        try (Safetensors st = Safetensors.open(file)) {
            assertThat(st.keys()).containsExactly("b.weight", "a.scalar"); // header order kept
            assertThat(st.metadata()).containsEntry("format", "pt");
            assertThat(st.entry("b.weight").shape()).containsExactly(2, 3);
            assertThat(st.entry("a.scalar").shape()).isEmpty();
            assertThat(st.floats("b.weight")).containsExactly(1, -2, 3.5f, 0, 1e-8f, -7);
            assertThat(st.doubles("a.scalar")).containsExactly(42);
        }
        // header length is a multiple of 8 and the file is exactly header + data
        try {
            byte[] bytes = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(n % 8).isZero();
            assertThat(bytes.length).isEqualTo(8 + n + 4 * 7);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void decodesHalfBfloatDoubleAndIntegerTensors() throws IOException {
        // F16: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), -0, +inf
        ByteBuffer f16 = le(12).putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF)
                .putShort((short) 0x0001).putShort((short) 0x8000).putShort((short) 0x7C00);
        // BF16: the upper halves of float bits: 1, -0.5, 3.140625
        ByteBuffer bf16 = le(6).putShort((short) 0x3F80).putShort((short) 0xBF00).putShort((short) 0x4049);
        ByteBuffer f64 = le(16).putDouble(0.1).putDouble(-1e300);
        ByteBuffer i64 = le(16).putLong(-3).putLong(1L << 40);
        ByteBuffer u8 = le(2).put((byte) 200).put((byte) 7);
        Path file = raw(new String[] {"h", "F16", "[2,3]", "b", "BF16", "[3]", "d", "F64", "[2]", "i", "I64", "[2]",
            "u", "U8", "[2]"}, f16, bf16, f64, i64, u8);
        try (Safetensors st = Safetensors.open(file)) {
            assertThat(st.floats("h")).containsExactly(1f, -2f, 65504f, 0x1p-24f, -0f, Float.POSITIVE_INFINITY);
            assertThat(Float.floatToRawIntBits(st.floats("h")[4])).isEqualTo(0x80000000); // negative zero
            assertThat(st.floats("b")).containsExactly(1f, -0.5f, 3.140625f);
            assertThat(st.doubles("d")).containsExactly(0.1, -1e300);
            assertThat(st.floats("d")[0]).isEqualTo(0.1f);
            assertThat(st.longs("i")).containsExactly(-3, 1L << 40);
            assertThat(st.longs("u")).containsExactly(200, 7);
            assertThatThrownBy(() -> st.longs("h")).isInstanceOf(BadInputException.class).hasMessageContaining("F16");
            assertThatThrownBy(() -> st.floats("i")).isInstanceOf(BadInputException.class);
            assertThatThrownBy(() -> st.floats("nope")).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("no tensor 'nope'");
        }
    }

    @Test
    void halfToFloatCoversEveryExponentRange() {
        assertThat(Safetensors.halfToFloat((short) 0x0400)).isEqualTo(0x1p-14f); // smallest normal
        assertThat(Safetensors.halfToFloat((short) 0x03FF)).isEqualTo(1023 * 0x1p-24f); // largest subnormal
        assertThat(Safetensors.halfToFloat((short) 0x3555)).isEqualTo(0.333251953125f);
        assertThat(Float.isNaN(Safetensors.halfToFloat((short) 0x7E00))).isTrue();
        assertThat(Safetensors.halfToFloat((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void malformedFilesAreBadInputNamingTheFile() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Safetensors.open(tiny)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("tiny.safetensors");

        Path hugeHeader = dir.resolve("huge.safetensors");
        Files.write(hugeHeader, le(16).putLong(1L << 40).putLong(0).array());
        assertThatThrownBy(() -> Safetensors.open(hugeHeader)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("header length");

        Path notJson = header("{not json", 0);
        assertThatThrownBy(() -> Safetensors.open(notJson)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("not JSON");

        Path truncated = header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertThatThrownBy(() -> Safetensors.open(truncated)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'w'").hasMessageContaining("truncated");

        Path wrongSize = header("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> Safetensors.open(wrongSize)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("needs 12 bytes");

        Path unknownType = header("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        assertThatThrownBy(() -> Safetensors.open(unknownType)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("unsupported dtype F8_E4M3");

        assertThatThrownBy(() -> Safetensors.open(dir.resolve("absent.safetensors")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("absent.safetensors");
    }

    @Test
    void sha256OfAKnownMessage() throws IOException {
        Path abc = dir.resolve("abc");
        Files.writeString(abc, "abc");
        assertThat(Safetensors.sha256(abc))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A file with a hand-written header and {@code dataBytes} zero bytes of data. */
    private Path header(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = le(8 + h.length + dataBytes).putLong(h.length).put(h);
        Path file = Files.createTempFile(dir, "h", ".safetensors");
        Files.write(file, b.array());
        return file;
    }

    /** A file with tensors given as (name, dtype, shape JSON) triples and their little-endian bytes. */
    private Path raw(String[] specs, ByteBuffer... data) throws IOException {
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"k\":\"v\"}");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < data.length; i++) {
            byte[] bytes = data[i].array();
            json.append(",\"").append(specs[3 * i]).append("\":{\"dtype\":\"").append(specs[3 * i + 1])
                    .append("\",\"shape\":").append(specs[3 * i + 2]).append(",\"data_offsets\":[")
                    .append(body.size()).append(',').append(body.size() + bytes.length).append("]}");
            body.write(bytes);
        }
        json.append('}');
        byte[] h = json.toString().getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("raw.safetensors");
        Files.write(file, le(8 + h.length + body.size()).putLong(h.length).put(h).put(body.toByteArray()).array());
        return file;
    }
}
