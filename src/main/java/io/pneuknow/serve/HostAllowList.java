package io.pneuknow.serve;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The names a request's {@code Host} header may carry, compared without the port and case: on a loopback bind
 * by default only {@link #LOOPBACK}, so a page elsewhere cannot reach the service through DNS rebinding (a name
 * of its own that resolves to 127.0.0.1); {@code *} allows any.
 */
public final class HostAllowList {
    /** The loopback names allowed by default on a loopback bind. */
    static final List<String> LOOPBACK = List.of("127.0.0.1", "localhost", "[::1]");

    private final Set<String> names;

    private HostAllowList(Set<String> names) {
        this.names = names;
    }

    /**
     * The allow-list for a server bound to {@code bindHost}: {@code configured} when given, else {@link #LOOPBACK}
     * for a loopback bind and any name for another.
     */
    public static HostAllowList of(String bindHost, List<String> configured) {
        List<String> chosen = !configured.isEmpty() ? configured : isLoopback(bindHost) ? LOOPBACK : List.of("*");
        if (chosen.contains("*")) {
            return new HostAllowList(null);
        }
        return new HostAllowList(chosen.stream().map(HostAllowList::name).collect(Collectors.toUnmodifiableSet()));
    }

    /** Whether a request with this {@code Host} header (null when absent) is answered. */
    public boolean allows(String hostHeader) {
        if (names == null) {
            return true;
        }
        return hostHeader != null && !hostHeader.isBlank() && names.contains(name(hostHeader));
    }

    /** The allowed names, for messages ({@code *} for any). */
    public String describe() {
        return names == null ? "*" : names.stream().sorted().collect(Collectors.joining(", "));
    }

    /** A host without its port, in lower case, without a trailing dot; an IPv6 address keeps its brackets. */
    static String name(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        if (h.equals("::1")) {
            return "[::1]";
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && colon == h.lastIndexOf(':')) {
            h = h.substring(0, colon);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static boolean isLoopback(String bindHost) {
        String h = bindHost.trim().toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]");
    }
}
