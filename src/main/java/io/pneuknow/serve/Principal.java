package io.pneuknow.serve;

import java.util.EnumSet;
import java.util.Set;

/**
 * Who a request acts for, as the credential check established it: an id that names the credential (for the
 * service key {@code key:} and a fingerprint, never the key itself) and what it may do. The audit log names it on
 * every line. Today there is one credential, the service's API key; per-person keys would give each person a
 * principal of their own with the roles their account holds, and nothing that reads a principal has to change.
 *
 * @param id the credential's name, safe to log
 * @param roles what the credential allows
 */
public record Principal(String id, Set<Role> roles) {
    /** What a principal may do. */
    public enum Role {
        /** The model's routes: {@code /v1/model}, {@code /v1/predict}, {@code /v1/explain}. */
        USE,
        /** The operator's views (details of the server itself); held by the service key only. */
        ADMIN
    }

    /** A request on a service without an API key: it may use the model, and nothing more. */
    public static final Principal ANONYMOUS = new Principal("anonymous", EnumSet.of(Role.USE));

    public Principal {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a principal needs an id");
        }
        roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
    }

    /** Whether the principal holds {@code role}. */
    public boolean has(Role role) {
        return roles.contains(role);
    }
}
