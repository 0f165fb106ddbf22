/** Scores predictions: metrics with patient-level intervals, calibration, operating points, subgroups, localisation summaries, and the typed {@link io.pneuknow.evaluate.Evaluation} they make up. */
package io.pneuknow.evaluate;
