package io.pneuknow.annotate;

/** Someone who annotates, reviews or administers; {@code canSignIn} says whether a credential is set (its hash is never shown). */
public record Person(long id, String name, Role role, boolean canSignIn) {
}
