/**
 * Measures PneuKnow's training, data pipeline, prediction and memory against a plain PyTorch peer
 * script on the same machine and thread count, and reports each performance target as met or not.
 */
package io.pneuknow.bench;
