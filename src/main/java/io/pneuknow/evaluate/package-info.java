/** Scores predictions: metrics with patient-level intervals, calibration, operating points and subgroups. */
package io.pneuknow.evaluate;
