/** Reads a data set from disk and owns its invariants: labels, patients, regions and splits (its images are decoded by {@link io.pneuknow.image}). */
package io.pneuknow.data;
