/** Runs study grids (architectures x methods x patient folds x seeds), resumably; computes their tables and figures, then renders them. */
package io.pneuknow.experiment;
