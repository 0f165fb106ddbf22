/** Reads single-frame greyscale DICOM radiographs into grey images and header facts free of patient identifiers; the DICOM member of {@link io.pneuknow.image.ImageFormats}. */
package io.pneuknow.image.dicom;
