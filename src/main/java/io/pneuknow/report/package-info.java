/** Self-contained report parts in plain Java: HTML pages, number formats, small SVG charts (lines, ROC, confusion matrix, reliability) with escaped text, no scripts and no network. */
package io.pneuknow.report;
