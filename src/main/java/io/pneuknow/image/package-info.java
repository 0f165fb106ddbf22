/** Turns image files and uploads (PNG, JPEG, DICOM) into grey images, behind one registry of formats ({@link io.pneuknow.image.ImageFormats}). */
package io.pneuknow.image;
