/** Runs study grids (architectures x methods x patient folds x seeds), resumably, and tabulates them. */
package io.pneuknow.experiment;
