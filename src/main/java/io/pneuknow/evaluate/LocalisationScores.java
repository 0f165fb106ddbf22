package io.pneuknow.evaluate;

import java.util.List;

/**
 * How a heat map agrees with the expert's regions on one image, or a mean of such scores.
 *
 * @param energy share of the heat inside the regions (energy-based pointing game)
 * @param hit    1 when the hottest pixel lies inside a region, 0 when not (a share of hits for a mean)
 * @param iou    intersection over union of the regions and the heat thresholded at a fraction of its maximum
 * @param auprc  average precision of the heat as a score for region pixels
 */
public record LocalisationScores(double energy, double hit, double iou, double auprc) {

    /** The four scores in this order: energy, hit, IoU, AUPRC (the order of every localisation table). */
    public double[] values() {
        return new double[] {energy, hit, iou, auprc};
    }

    /**
     * The mean of each score over {@code scores}, accumulated as the sum of score / count in list
     * order (the study tables' arithmetic, kept so that their numbers stay bit for bit); NaN for an
     * empty list.
     */
    public static LocalisationScores mean(List<LocalisationScores> scores) {
        double[] out = new double[4];
        int n = scores.size();
        for (LocalisationScores s : scores) {
            double[] v = s.values();
            for (int k = 0; k < 4; k++) {
                out[k] += v[k] / n;
            }
        }
        return n == 0 ? new LocalisationScores(Double.NaN, Double.NaN, Double.NaN, Double.NaN)
                : new LocalisationScores(out[0], out[1], out[2], out[3]);
    }
}
