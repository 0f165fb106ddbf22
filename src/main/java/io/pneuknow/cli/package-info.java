/** The command line: parses arguments, calls the packages above and prints a summary. */
package io.pneuknow.cli;
