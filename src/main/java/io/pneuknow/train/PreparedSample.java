package io.pneuknow.train;

import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;

/**
 * A sample decoded and resized once to the network's input size, kept in memory for every epoch.
 * {@code roiMask} is null when the sample has no usable ROI under the ROI policy; {@code index} is
 * the sample's position in its data set, which seeds its augmentation.
 */
public record PreparedSample(int index, Sample sample, GreyImage image, GreyImage roiMask) {
    public boolean hasRoi() {
        return roiMask != null;
    }

    public int label() {
        return sample.classIndex();
    }
}
