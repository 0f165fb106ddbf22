/** Reads what is on disk and owns the data set's invariants: labels, patients, regions, images and splits. */
package io.pneuknow.data;
