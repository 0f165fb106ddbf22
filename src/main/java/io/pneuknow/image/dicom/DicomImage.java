package io.pneuknow.image.dicom;

import io.pneuknow.image.GreyImage;

/** A decoded DICOM image (grey values in [0, 1], brighter is denser as in MONOCHROME2) and its header facts. */
public record DicomImage(GreyImage image, DicomHeader header) {
}
