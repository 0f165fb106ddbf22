package io.pneuknow.data;

/** A region read by a {@link RegionSource}, with the id of the labels file's image it belongs to; not yet checked against the image. */
record ImageRegion(String imageId, Region region) {
}
