/** Reads single-frame greyscale DICOM radiographs into grey images and header facts free of patient identifiers. */
package io.pneuknow.image.dicom;
