package io.pneuknow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The CPU's peak single-precision FLOP/s for a number of cores: cores x vector lanes x FMA units x
 * 2 (an FMA is two operations) x clock. Lanes come from /proc/cpuinfo's flags (avx512f: 16 floats,
 * avx/avx2: 8, else SSE: 4); FMA units are an assumption (2, as on current server cores, unless
 * given); the clock is the one given, else "cpu MHz" of /proc/cpuinfo, else cpufreq's maximum, else
 * half the BogoMIPS (the TSC rate on x86, about the base clock in a VM). AMD family 0x19 (Zen 3/4)
 * executes 512-bit FMAs on 256-bit units, so there a 512-bit FMA counts as half a unit.
 *
 * @param statement how the number was derived, in words, with every assumption
 */
record CpuPeak(String model, int cores, int lanes, double fmaUnits, double ghz, String clockSource,
               double flopsPerSecond, String statement) {

    static CpuPeak of(int cores, Double givenGhz, Double givenFmaUnits) {
        List<String> info = readLines(Path.of("/proc/cpuinfo"));
        String model = value(info, "model name", "unknown CPU");
        Set<String> flags = Set.of(value(info, "flags", "").split("\\s+"));
        int family = parseInt(value(info, "cpu family", "0"));
        String vendor = value(info, "vendor_id", "");
        int lanes = flags.contains("avx512f") ? 16 : flags.contains("avx") ? 8 : 4;
        String isa = flags.contains("avx512f") ? "AVX-512 (16 floats)" : flags.contains("avx") ? "AVX/AVX2 (8 floats)"
                : "SSE (4 floats)";
        boolean halfPumped = lanes == 16 && vendor.contains("AMD") && family == 0x19;
        double fma = givenFmaUnits != null ? givenFmaUnits : halfPumped ? 1.0 : 2.0;
        String fmaNote = givenFmaUnits != null ? "given" : halfPumped
                ? "assumed: 2 units of 256 bits, i.e. 1 of 512 (AMD family 0x19)" : "assumed";
        if (!flags.contains("fma") && givenFmaUnits == null && !flags.contains("avx512f")) {
            fma = 1.0; // no fused multiply-add: count one add or multiply pipe pair as one "unit" of 2 ops
            fmaNote = "no fma flag; 1 multiply + 1 add per cycle assumed";
        }
        double ghz;
        String clockSource;
        if (givenGhz != null) {
            ghz = givenGhz;
            clockSource = "given (--cpu-ghz)";
        } else if (!value(info, "cpu MHz", "").isEmpty()) {
            ghz = Double.parseDouble(value(info, "cpu MHz", "0")) / 1000;
            clockSource = "/proc/cpuinfo cpu MHz";
        } else if (readLines(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")).size() == 1) {
            ghz = Double.parseDouble(readLines(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"))
                    .get(0).trim()) / 1e6;
            clockSource = "cpufreq cpuinfo_max_freq";
        } else if (!value(info, "bogomips", "").isEmpty()) {
            ghz = Double.parseDouble(value(info, "bogomips", "0")) / 2000;
            clockSource = "BogoMIPS / 2 (no clock in /proc/cpuinfo; the TSC rate, about the base clock; turbo not counted)";
        } else {
            ghz = 2.0;
            clockSource = "unknown; 2.0 GHz assumed";
        }
        double flops = cores * lanes * fma * 2 * ghz * 1e9;
        String statement = String.format(Locale.ROOT,
                "%s: %d cores x %d lanes (%s) x %.1f FMA units (%s) x 2 FLOP per FMA x %.2f GHz (%s) = %.1f GFLOP/s",
                model, cores, lanes, isa, fma, fmaNote, ghz, clockSource, flops / 1e9);
        return new CpuPeak(model, cores, lanes, fma, ghz, clockSource, flops, statement);
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String value(List<String> lines, String key, String fallback) {
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        return fallback;
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
