package io.pneuknow.annotate;

/**
 * An image of the data set as the database knows it: the labels file's image id, its file relative to the data
 * folder, its class and split part (either may be null). Never a patient identifier.
 */
public record ImageEntry(String id, String file, String className, String part) {
}
