/** Turns data sets into models: supervised training (baseline, teacher) and distillation (student). */
package io.pneuknow.train;
