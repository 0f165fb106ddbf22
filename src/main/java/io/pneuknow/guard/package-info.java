/** Warns when an input image lies outside the population a model was trained for, as far as can be told. */
package io.pneuknow.guard;
