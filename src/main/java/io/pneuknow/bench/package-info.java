/**
 * Measures PneuKnow's training, data pipeline, prediction and memory against a plain PyTorch peer
 * script on the same machine and thread count, and reports each performance target as met or not;
 * and the HTTP service under concurrent load ({@link io.pneuknow.bench.ServeLoad}).
 */
package io.pneuknow.bench;
