/**
 * Moves annotations between the annotation database ({@link io.pneuknow.annotate}) and the region files training
 * reads ({@link io.pneuknow.data}: regions CSV, COCO JSON, mask PNG folders), in both directions.
 */
package io.pneuknow.annotate.exchange;
