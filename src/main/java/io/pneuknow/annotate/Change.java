package io.pneuknow.annotate;

/**
 * The outcome of a change made against a known version: saved (one committed transaction, the previous version
 * kept), or a conflict when someone else changed it first, with both versions for the editor to merge or to
 * overwrite (by changing again against {@code theirs}' version). Nothing is lost silently.
 *
 * @param <T> what was changed
 */
public sealed interface Change<T> {
    /** The change is committed; {@code value} is the new current state. */
    record Saved<T>(T value) implements Change<T> {
    }

    /** Someone changed it first: {@code theirs} is the current state, {@code yours} what this editor wanted. */
    record Conflict<T>(T theirs, T yours) implements Change<T> {
    }
}
