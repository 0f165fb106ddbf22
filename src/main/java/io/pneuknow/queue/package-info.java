/**
 * What to annotate next: strategies that rank the unannotated training images by their expected benefit to the
 * guided model, and a simulation that measures them by revealing the true regions in each strategy's order.
 */
package io.pneuknow.queue;
