package io.pneuknow.explain;

/**
 * How well a heat map agrees with an expert region (see {@link Agreement}).
 *
 * @param energy share of the heat inside the region (energy-based pointing game), NaN when the heat
 *     is all zero or the region empty
 * @param hit whether the hottest pixel (the first in row-major order on ties) lies inside the region
 * @param iou intersection over union of the region and the heat thresholded at a fraction of its
 *     maximum, NaN when both are empty
 * @param auprc average precision of the heat as a score for region pixels, NaN when the region is empty
 */
public record AgreementScores(double energy, boolean hit, double iou, double auprc) {
}
