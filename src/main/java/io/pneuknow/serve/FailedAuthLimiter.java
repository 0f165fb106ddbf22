package io.pneuknow.serve;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Counts wrong credentials per client address and refuses an address that gave {@code maxFailures} of them within
 * {@code window}, until the oldest of those falls out of the window (a sliding window: at most {@code maxFailures}
 * guesses per window and address). IPv6 clients are counted per /64 network, the block one machine usually holds.
 * Memory is bounded: at most {@code maxAddresses} addresses are remembered, the least recently seen forgotten first.
 * Behind a reverse proxy every client has the proxy's address unless the proxy is trusted ({@link ClientAddress}):
 * then the address counted is the client the proxy names.
 */
public final class FailedAuthLimiter {
    /** Failures per window before an address is refused. */
    static final int DEFAULT_MAX_FAILURES = 10;
    /** The window failures are counted in. */
    static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    /** Addresses remembered at most. */
    static final int DEFAULT_MAX_ADDRESSES = 10_000;

    private final int maxFailures;
    private final long windowNanos;
    private final LongSupplier clock;
    private final Map<String, ArrayDeque<Long>> failures;

    /**
     * @param clock the time in nanoseconds ({@link System#nanoTime()}; tests pass their own)
     */
    FailedAuthLimiter(int maxFailures, Duration window, int maxAddresses, LongSupplier clock) {
        if (maxFailures < 1 || window.isNegative() || window.isZero() || maxAddresses < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
        this.maxFailures = maxFailures;
        this.windowNanos = window.toNanos();
        this.clock = clock;
        this.failures = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ArrayDeque<Long>> eldest) {
                return size() > maxAddresses;
            }
        };
    }

    /** The defaults: {@value #DEFAULT_MAX_FAILURES} failures a minute, {@value #DEFAULT_MAX_ADDRESSES} addresses. */
    public static FailedAuthLimiter defaults() {
        return new FailedAuthLimiter(DEFAULT_MAX_FAILURES, DEFAULT_WINDOW, DEFAULT_MAX_ADDRESSES, System::nanoTime);
    }

    /** {@code maxFailures} failures a minute, {@value #DEFAULT_MAX_ADDRESSES} addresses. */
    static FailedAuthLimiter perMinute(int maxFailures) {
        return new FailedAuthLimiter(maxFailures, DEFAULT_WINDOW, DEFAULT_MAX_ADDRESSES, System::nanoTime);
    }

    int maxFailures() {
        return maxFailures;
    }

    Duration window() {
        return Duration.ofNanos(windowNanos);
    }

    /** Seconds until {@code address} may try again (rounded up); 0 when it may now. */
    public synchronized long retryAfterSeconds(String address) {
        ArrayDeque<Long> times = recent(counted(address));
        if (times == null || times.size() < maxFailures) {
            return 0;
        }
        long waitNanos = times.peekFirst() + windowNanos - clock.getAsLong();
        return Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Notes a wrong credential from {@code address}; true when this failure reached the limit (the address is now refused). */
    public synchronized boolean fail(String address) {
        String key = counted(address);
        ArrayDeque<Long> times = recent(key);
        if (times == null) {
            times = new ArrayDeque<>();
            failures.put(key, times);
        }
        times.addLast(clock.getAsLong());
        while (times.size() > maxFailures) {
            times.removeFirst();
        }
        return times.size() == maxFailures;
    }

    /** Addresses remembered now (tests: the bound). */
    synchronized int addresses() {
        return failures.size();
    }

    /** The address's failures within the window, older ones dropped (and the address forgotten when none remain). */
    private ArrayDeque<Long> recent(String key) {
        ArrayDeque<Long> times = failures.get(key);
        if (times == null) {
            return null;
        }
        long now = clock.getAsLong();
        while (!times.isEmpty() && now - times.peekFirst() >= windowNanos) {
            times.removeFirst();
        }
        if (times.isEmpty()) {
            failures.remove(key);
            return null;
        }
        return times;
    }

    /** What failures are counted under: the address itself, for IPv6 its /64 network. */
    static String counted(String address) {
        String bare = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        if (!bare.contains(":")) {
            return bare;
        }
        try {
            InetAddress parsed = InetAddress.getByName(bare); // a literal: no name lookup
            if (parsed instanceof Inet6Address) {
                byte[] bytes = parsed.getAddress();
                for (int i = 8; i < 16; i++) {
                    bytes[i] = 0;
                }
                return InetAddress.getByAddress(bytes).getHostAddress() + "/64";
            }
            return parsed.getHostAddress();
        } catch (UnknownHostException e) {
            return bare;
        }
    }
}
