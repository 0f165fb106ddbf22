package io.pneuknow.evaluate;

/**
 * One bin of a reliability diagram on the top-class confidence; an empty bin has NaN means.
 *
 * @param lower          lower edge (inclusive)
 * @param upper          upper edge (exclusive, except 1.0 for the last bin)
 * @param count          images whose confidence falls in the bin
 * @param meanConfidence mean top-class probability of those images
 * @param accuracy       fraction of those images predicted correctly
 */
public record ReliabilityBin(double lower, double upper, int count, double meanConfidence, double accuracy) {
}
