package io.pneuknow.annotate;

/** What an annotator draws or changes: the region's type (lesion, lung, ...), its label and its geometry. */
public record RegionDraft(String type, String label, Geometry geometry) {
    public RegionDraft {
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException("a region needs a type (lesion, lung, ...)");
        }
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("a region needs a label");
        }
        if (geometry == null) {
            throw new IllegalArgumentException("a region needs a geometry");
        }
    }
}
