/** Class activation maps and their agreement with expert regions. */
package io.pneuknow.explain;
