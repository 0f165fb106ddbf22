/** Pixel work on aligned image and ROI pairs: ROI construction, paired augmentation and preprocessing. */
package io.pneuknow.transform;
