package io.pneuknow.evaluate;

/**
 * A point estimate with a 95% percentile bootstrap interval. Replicates where the statistic was NaN are
 * dropped; {@code lower} and {@code upper} are NaN when no replicate was valid (or none was run).
 *
 * @param estimate        the statistic on the full data
 * @param lower           2.5th percentile of the valid replicates
 * @param upper           97.5th percentile of the valid replicates
 * @param replicates      replicates drawn
 * @param validReplicates replicates whose statistic was not NaN
 */
public record Interval(double estimate, double lower, double upper, int replicates, int validReplicates) {
}
