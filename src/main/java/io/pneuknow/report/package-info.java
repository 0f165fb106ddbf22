/** Self-contained report parts in plain Java: small SVG charts (lines, ROC, confusion matrix, reliability) with escaped text, no scripts and no network. */
package io.pneuknow.report;
