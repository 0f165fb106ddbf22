package io.pneuknow.image.dicom;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Makes DICOM test files with dcmtk (Debian package dcmtk, installed by .ci/run): a text dump with
 * known pixel values goes through dump2dcm, then dcmconv, dcmcjpeg, dcmcrle, dcmcjpls as asked.
 * Tests that need it are skipped when dcmtk is absent, unless pneuknow.requireHeavy=true, when they
 * fail.
 */
public final class Dcmtk {
    /** Identifiers written into every test file's header; they must never come out of the reader. */
    static final String PATIENT_NAME = "DOE^JANE^Q";
    static final String PATIENT_ID = "PID8675309";
    static final String BIRTH_DATE = "19460712";

    private static Boolean available;

    private Dcmtk() {
    }

    /** Skips the calling test when dcmtk is missing (fails instead when pneuknow.requireHeavy=true). */
    public static synchronized void require() {
        if (available == null) {
            try {
                Process process = new ProcessBuilder("dump2dcm", "--version").redirectErrorStream(true).start();
                process.getInputStream().readAllBytes();
                available = process.waitFor(20, TimeUnit.SECONDS) && process.exitValue() == 0;
            } catch (IOException e) {
                available = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                available = false;
            }
        }
        if (!available) {
            if (Boolean.getBoolean("pneuknow.requireHeavy")) {
                fail("pneuknow.requireHeavy=true but dcmtk (dump2dcm) is not installed; apt-get install dcmtk");
            }
            Assumptions.abort("dcmtk is not installed (apt-get install dcmtk)");
        }
    }

    /** Runs a dcmtk command in {@code dir}; fails the test with its output when it does not succeed. */
    static void run(Path dir, String... command) {
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish in 60 s");
            }
            if (process.exitValue() != 0) {
                fail(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output);
            }
        } catch (IOException e) {
            fail(String.join(" ", command) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    /** Runs a converter {@code tool [options] in out} on {@code in}; returns the output file. */
    static Path convert(Path in, String out, String tool, String... options) {
        List<String> command = new ArrayList<>();
        command.add(tool);
        command.addAll(List.of(options));
        command.add(in.getFileName().toString());
        command.add(out);
        run(in.getParent(), command.toArray(String[]::new));
        return in.resolveSibling(out);
    }

    /** 16-bit little-endian samples, as Pixel Data (OW) holds them. */
    static byte[] words(int[] samples) {
        ByteBuffer buffer = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int sample : samples) {
            buffer.putShort((short) sample);
        }
        return buffer.array();
    }

    /** 8-bit samples, padded to an even length. */
    static byte[] bytes(int[] samples) {
        byte[] bytes = new byte[samples.length + (samples.length % 2)];
        for (int i = 0; i < samples.length; i++) {
            bytes[i] = (byte) samples[i];
        }
        return bytes;
    }

    /**
     * A dcmtk text dump of a DX image with patient identifiers, built from defaults that attributes
     * can replace or remove; {@link #write} turns it into a file.
     */
    static final class Dump {
        private final Map<String, String> lines = new LinkedHashMap<>();
        private final List<String> extra = new ArrayList<>();
        private byte[] pixels;
        private String pixelVr;

        /** A greyscale image: {@code bits} allocated (8 or 16), all of them stored. */
        Dump(int columns, int rows, int bits, byte[] pixels) {
            set("(0008,0016)", "UI =DigitalXRayImageStorageForPresentation");
            set("(0008,0018)", "UI [1.2.826.0.1.3680043.2.1125.99.1]");
            set("(0008,0060)", "CS [DX]");
            set("(0010,0010)", "PN [" + PATIENT_NAME + "]");
            set("(0010,0020)", "LO [" + PATIENT_ID + "]");
            set("(0010,0030)", "DA [" + BIRTH_DATE + "]");
            set("(0018,5101)", "CS [PA]");
            set("(0028,0002)", "US 1");
            set("(0028,0004)", "CS [MONOCHROME2]");
            set("(0028,0010)", "US " + rows);
            set("(0028,0011)", "US " + columns);
            set("(0028,0100)", "US " + bits);
            set("(0028,0101)", "US " + bits);
            set("(0028,0102)", "US " + (bits - 1));
            set("(0028,0103)", "US 0");
            this.pixels = pixels;
            this.pixelVr = bits == 8 ? "OB" : "OW";
        }

        /** Sets an attribute, e.g. {@code set("(0028,1053)", "DS [2.5]")}; a null value removes it. */
        Dump set(String tag, String value) {
            if (value == null) {
                lines.remove(tag);
            } else {
                lines.put(tag, value);
            }
            return this;
        }

        /** Adds dump lines as they are (sequences, items). */
        Dump raw(String... dumpLines) {
            extra.addAll(List.of(dumpLines));
            return this;
        }

        Dump withoutPixels() {
            pixels = null;
            return this;
        }

        /** Writes {@code name}.dcm in {@code dir} with dump2dcm (explicit VR little endian unless options say so). */
        Path write(Path dir, String name, String... options) {
            try {
                StringBuilder text = new StringBuilder();
                lines.forEach((tag, value) -> text.append(tag).append(' ').append(value).append('\n'));
                extra.forEach(line -> text.append(line).append('\n'));
                if (pixels != null) {
                    Files.write(dir.resolve(name + ".raw"), pixels);
                    text.append("(7fe0,0010) ").append(pixelVr).append(" =").append(name).append(".raw\n");
                }
                Files.writeString(dir.resolve(name + ".dump"), text.toString(), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                fail("cannot write the dump: " + e);
            }
            List<String> command = new ArrayList<>(List.of("dump2dcm"));
            command.addAll(List.of(options));
            command.add(name + ".dump");
            command.add(name + ".dcm");
            run(dir, command.toArray(String[]::new));
            return dir.resolve(name + ".dcm");
        }
    }
}
