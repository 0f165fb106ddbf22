package io.pneuknow.serve;

import io.javalin.http.Context;
import io.pneuknow.BadInputException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who a request came from, for the failed-key limit and the access and audit logs: the direct peer's address,
 * unless the peer is one of the trusted proxies; then the right-most {@code X-Forwarded-For} entry that is not
 * itself a trusted proxy (entries to its left are the client's own words and are not read). A forwarded chain
 * whose entries up to that one are not all IP literals is malformed: the peer's address is used and the request's
 * access-log line says {@code forwarded=malformed}. No trusted proxies (the default): the header is ignored.
 * Addresses are literals only (never looked up by name); IPv6 ones are written in brackets, as Jetty writes a peer's.
 */
public final class ClientAddress {
    /** The header a reverse proxy names the client in. */
    static final String FORWARDED_FOR = "X-Forwarded-For";

    /** No trusted proxies: every request's client is its peer. */
    static final ClientAddress DIRECT = new ClientAddress(Set.of());

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /**
     * A request's client as found.
     *
     * @param address the client's address ({@code -} when the peer's is unknown)
     * @param malformed whether a trusted proxy sent an {@code X-Forwarded-For} that could not be read (the address
     *     is then the peer's)
     */
    record Found(String address, boolean malformed) {
    }

    private final Set<String> trusted;

    private ClientAddress(Set<String> trusted) {
        this.trusted = trusted;
    }

    /**
     * Trusting the proxies at {@code addresses} (IPv4 or IPv6 literals); throws {@link BadInputException} naming one
     * that is no address.
     */
    public static ClientAddress trusting(List<String> addresses) {
        Set<String> canonical = new LinkedHashSet<>();
        for (String address : addresses) {
            String parsed = canonical(address.strip());
            if (parsed == null) {
                throw new BadInputException("--trusted-proxies: '" + address + "' is no IP address; give the proxies' "
                        + "addresses such as 127.0.0.1,10.0.0.5 (no names, no ranges)");
            }
            canonical.add(parsed);
        }
        return canonical.isEmpty() ? DIRECT : new ClientAddress(Collections.unmodifiableSet(canonical));
    }

    /** The request's client, found once per request and kept on its context. */
    Found of(Context ctx) {
        Found found = RequestAttributes.client(ctx);
        if (found == null) {
            List<String> forwarded = trusted.isEmpty() ? List.of()
                    : Collections.list(ctx.req().getHeaders(FORWARDED_FOR));
            found = resolve(ctx.ip(), forwarded);
            RequestAttributes.client(ctx, found);
        }
        return found;
    }

    /**
     * The client of a request from {@code peer} (as Jetty writes it) carrying these {@code X-Forwarded-For} header
     * values, in the order received.
     */
    Found resolve(String peer, List<String> forwardedFor) {
        if (trusted.isEmpty() || peer == null || !trusted.contains(canonical(peer))) {
            return new Found(peer == null ? "-" : peer, false);
        }
        List<String> entries = new ArrayList<>();
        for (String value : forwardedFor) {
            for (String entry : value.split(",", -1)) {
                entries.add(entry.strip());
            }
        }
        if (entries.isEmpty()) {
            return new Found(peer, false); // the proxy named no client: it is its own client
        }
        String client = null;
        for (int i = entries.size() - 1; i >= 0; i--) {
            client = canonical(entries.get(i));
            if (client == null) {
                return new Found(peer, true);
            }
            if (!trusted.contains(client)) {
                break;
            }
        }
        return new Found(client.contains(":") ? "[" + client + "]" : client, false); // all trusted: the left-most
    }

    /**
     * {@code text} as an address's canonical literal (IPv6 without brackets, IPv4-mapped IPv6 as IPv4); null when it
     * is no IPv4 or IPv6 literal (names are never looked up).
     */
    static String canonical(String text) {
        String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        var v4 = IPV4.matcher(bare);
        try {
            if (v4.matches()) {
                byte[] bytes = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int part = Integer.parseInt(v4.group(i + 1));
                    if (part > 255) {
                        return null;
                    }
                    bytes[i] = (byte) part;
                }
                return InetAddress.getByAddress(bytes).getHostAddress();
            }
            if (IPV6.matcher(bare).matches()) {
                InetAddress parsed = InetAddress.getByName(bare); // contains ':': parsed as a literal, no lookup
                return parsed instanceof Inet6Address
                        ? InetAddress.getByAddress(parsed.getAddress()).getHostAddress() // without a scope
                        : parsed.getHostAddress();
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null;
    }
}
