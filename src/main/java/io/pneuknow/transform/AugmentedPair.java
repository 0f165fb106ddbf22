package io.pneuknow.transform;

import io.pneuknow.image.GreyImage;

/** An image and its ROI mask after the same geometric augmentation (mask stays 0/1). */
public record AugmentedPair(GreyImage image, GreyImage mask) {
}
