package io.pneuknow.model;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The minimum severity libtorch's own C++ log prints (c10's {@code FLAGS_caffe2_log_level}), set once
 * after the engine is loaded. PyTorch reads it from the environment variable {@code TORCH_CPP_LOG_LEVEL}
 * only in {@code c10::initLogging()}, which Python's {@code import torch} calls and DJL never does, so in
 * a JVM libtorch logs at WARNING whatever the environment says. At WARNING, libtorch 2.7.1 prints
 * "Could not initialize NNPACK! Reason: Unsupported hardware." for every small convolution on CPUs (or
 * virtual machines) where NNPACK cannot start, thousands of lines in a training log; its convolutions fall
 * back to other kernels either way. PneuKnow does what {@code initLogging} does: the level is
 * {@code TORCH_CPP_LOG_LEVEL} (INFO, WARNING, ERROR, FATAL or 0-3) when set, else ERROR, written into the
 * flag of the loaded {@code libc10.so}, whose address comes from the library's dynamic symbol table and its
 * mapping in {@code /proc/self/maps}. Nothing is written unless the symbol is found, 4 bytes long, inside a
 * writable mapping of that library and holds a valid level; otherwise libtorch keeps its default and
 * {@link #apply()} says why in {@link #status()}.
 */
public final class TorchLogLevel {
    /** The environment variable PyTorch itself reads for this level. */
    public static final String ENVIRONMENT = "TORCH_CPP_LOG_LEVEL";
    static final String SYMBOL = "FLAGS_caffe2_log_level";
    static final int ERROR = 2;
    private static String status = "not applied";
    private static volatile boolean applied;

    private TorchLogLevel() {
    }

    /** Loads the engine if needed and sets libtorch's log level once per process; later calls do nothing. */
    public static void apply() {
        if (applied) {
            return; // every forward pass outside a tape comes here (NoGrad): no lock once done
        }
        applyOnce();
    }

    private static synchronized void applyOnce() {
        if (applied) {
            return;
        }
        Engine.getInstance();
        try {
            int level = level(System.getenv(ENVIRONMENT));
            status = write(level);
        } catch (IOException | RuntimeException | ReflectiveOperationException e) {
            status = "left at libtorch's default: " + e.getMessage();
        }
        applied = true;
    }

    /** What {@link #apply()} did, for diagnostics and tests. */
    public static synchronized String status() {
        return status;
    }

    /** The level libtorch logs at in this process, read back from the loaded library (empty when not found). */
    public static Optional<Integer> current() {
        try {
            Flag flag = locate();
            return Optional.of(unsafe().getInt(flag.address()));
        } catch (IOException | RuntimeException | ReflectiveOperationException e) {
            return Optional.empty();
        }
    }

    /** c10's level for a value of {@code TORCH_CPP_LOG_LEVEL}: a name or 0-3; ERROR when unset or unknown. */
    static int level(String value) {
        if (value == null || value.isBlank()) {
            return ERROR;
        }
        return switch (value.trim().toUpperCase(Locale.ROOT)) {
            case "INFO", "0" -> 0;
            case "WARNING", "1" -> 1;
            case "ERROR", "2" -> 2;
            case "FATAL", "3" -> 3;
            default -> ERROR;
        };
    }

    private static String write(int level) throws IOException, ReflectiveOperationException {
        Flag flag = locate();
        sun.misc.Unsafe unsafe = unsafe();
        int before = unsafe.getInt(flag.address());
        if (before < -10 || before > 3) {
            return "left at libtorch's default: " + SYMBOL + " holds " + before + ", not a log level";
        }
        unsafe.putInt(flag.address(), level);
        return "libtorch logs at level " + level + " (was " + before + ")";
    }

    /** The flag's address in this process: the library's load address plus the symbol's value. */
    static Flag locate() throws IOException {
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        Path library = null;
        long base = -1;
        for (String line : maps) {
            String[] f = line.trim().split("\\s+", 6);
            if (f.length == 6 && f[5].endsWith("/libc10.so") && f[1].endsWith("p") && Long.parseUnsignedLong(f[2], 16) == 0) {
                library = Path.of(f[5]);
                base = Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
                break;
            }
        }
        if (library == null) {
            throw new IllegalStateException("libc10.so is not loaded in this process");
        }
        Elf.Symbol symbol = Elf.dynamicSymbol(library, SYMBOL);
        if (symbol.size() != 4) {
            throw new IllegalStateException(SYMBOL + " in " + library + " is " + symbol.size() + " bytes, not an int");
        }
        long address = base - symbol.firstLoadAddress() + symbol.value();
        for (String line : maps) {
            String[] f = line.trim().split("\\s+", 6);
            String[] range = f[0].split("-");
            long start = Long.parseUnsignedLong(range[0], 16);
            long end = Long.parseUnsignedLong(range[1], 16);
            if (f.length == 6 && f[5].equals(library.toString()) && f[1].startsWith("rw")
                    && address >= start && address + 4 <= end) {
                return new Flag(library, address);
            }
        }
        throw new IllegalStateException(SYMBOL + " at 0x" + Long.toHexString(address) + " is not in a writable mapping of " + library);
    }

    record Flag(Path library, long address) {
    }

    private static sun.misc.Unsafe unsafe() throws ReflectiveOperationException {
        Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        return (sun.misc.Unsafe) field.get(null);
    }

    /** Just enough of ELF-64 (little endian) to find one symbol of a shared library's dynamic symbol table. */
    static final class Elf {
        private static final int SHT_DYNSYM = 11;
        private static final int PT_LOAD = 1;

        /** A symbol's value and size, with the virtual address of the library's first loadable segment. */
        record Symbol(long value, long size, long firstLoadAddress) {
        }

        static Symbol dynamicSymbol(Path file, String name) throws IOException {
            // read, not mapped: a mapping of the file would itself appear in /proc/self/maps
            ByteBuffer elf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            if (elf.getInt(0) != 0x464c457f || elf.get(4) != 2 || elf.get(5) != 1) {
                throw new IllegalStateException(file + " is not a 64-bit little-endian ELF file");
            }
            long phoff = elf.getLong(0x20);
            long shoff = elf.getLong(0x28);
            int phentsize = Short.toUnsignedInt(elf.getShort(0x36));
            int phnum = Short.toUnsignedInt(elf.getShort(0x38));
            int shentsize = Short.toUnsignedInt(elf.getShort(0x3a));
            int shnum = Short.toUnsignedInt(elf.getShort(0x3c));
            long firstLoad = -1;
            for (int i = 0; i < phnum && firstLoad < 0; i++) {
                int p = (int) (phoff + (long) i * phentsize);
                if (elf.getInt(p) == PT_LOAD) {
                    if (elf.getLong(p + 8) != 0) {
                        throw new IllegalStateException(file + ": first loadable segment does not start the file");
                    }
                    firstLoad = elf.getLong(p + 16) & ~0xfffL;
                }
            }
            for (int i = 0; i < shnum; i++) {
                int s = (int) (shoff + (long) i * shentsize);
                if (elf.getInt(s + 4) != SHT_DYNSYM) {
                    continue;
                }
                int strtab = (int) (shoff + (long) elf.getInt(s + 40) * shentsize);
                long strings = elf.getLong(strtab + 24);
                long offset = elf.getLong(s + 24);
                long size = elf.getLong(s + 32);
                long entry = elf.getLong(s + 56);
                byte[] wanted = name.getBytes(StandardCharsets.US_ASCII);
                for (long e = offset; e + entry <= offset + size; e += entry) {
                    int nameAt = (int) (strings + Integer.toUnsignedLong(elf.getInt((int) e)));
                    if (matches(elf, nameAt, wanted)) {
                        return new Symbol(elf.getLong((int) e + 8), elf.getLong((int) e + 16), firstLoad);
                    }
                }
            }
            throw new IllegalStateException(name + " not found in the dynamic symbols of " + file);
        }

        private static boolean matches(ByteBuffer elf, int at, byte[] wanted) {
            for (int i = 0; i < wanted.length; i++) {
                if (elf.get(at + i) != wanted[i]) {
                    return false;
                }
            }
            return elf.get(at + wanted.length) == 0;
        }
    }
}
