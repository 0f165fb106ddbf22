package io.pneuknow.studio;

import io.pneuknow.annotate.Person;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The signed-in people, in memory: a session is a random token (the cookie's value) with its person, its CSRF token
 * (sent by the page in the {@value #CSRF_HEADER} header of every state-changing request) and its expiry. A restart
 * signs everyone out.
 */
final class Sessions {
    /** The session cookie's name. */
    static final String COOKIE = "pneuknow_studio";
    /** The header carrying the session's CSRF token. */
    static final String CSRF_HEADER = "X-CSRF-Token";
    /** How long a session lasts from sign-in. */
    static final Duration LIFETIME = Duration.ofHours(12);

    /** A signed-in person and the CSRF token of their session. */
    record Session(Person person, String csrfToken, Instant expires) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Clock clock;

    Sessions(Clock clock) {
        this.clock = clock;
    }

    /** A new session for {@code person}; returns its cookie token. */
    String open(Person person) {
        String token = randomHex();
        sessions.put(token, new Session(person, randomHex(), clock.instant().plus(LIFETIME)));
        return token;
    }

    /** The live session of this cookie token; an expired one is forgotten. */
    Optional<Session> find(String token) {
        if (token == null) {
            return Optional.empty();
        }
        Session session = sessions.get(token);
        if (session != null && !clock.instant().isBefore(session.expires())) {
            sessions.remove(token);
            return Optional.empty();
        }
        return Optional.ofNullable(session);
    }

    /** Ends the session of this cookie token. */
    void close(String token) {
        if (token != null) {
            sessions.remove(token);
        }
    }

    /** Whether {@code given} is the session's CSRF token, compared in constant time. */
    static boolean csrfMatches(Session session, String given) {
        return given != null && MessageDigest.isEqual(session.csrfToken().getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8));
    }

    private static String randomHex() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
