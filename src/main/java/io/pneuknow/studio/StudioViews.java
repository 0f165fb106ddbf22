package io.pneuknow.studio;

import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.NoFindingMark;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.annotate.RegionVersion;
import io.pneuknow.annotate.StoredRegion;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the API's regions, versions and "no finding" marks: names in lower case as the database
 * stores them, times as ISO-8601 text, a geometry as {@code {kind, box: {x, y, width, height}, polygon: [[x, y], ...]}}.
 */
final class StudioViews {
    private StudioViews() {
    }

    /** A region as it stands (or as an editor wanted it, in a conflict). */
    static Map<String, Object> region(StoredRegion region) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", region.id());
        view.put("imageId", region.imageId());
        draft(view, region.draft());
        view.put("author", region.author());
        view.put("version", region.version());
        view.put("deleted", region.deleted());
        view.put("review", region.review().text());
        view.put("reviewer", region.reviewer());
        view.put("updatedAt", text(region.updatedAt()));
        return view;
    }

    /** Regions, in order. */
    static List<Map<String, Object>> regions(List<StoredRegion> regions) {
        return regions.stream().map(StudioViews::region).toList();
    }

    /** One kept version of a region. */
    static Map<String, Object> version(RegionVersion version) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("version", version.version());
        view.put("change", version.change());
        view.put("changedBy", version.changedBy());
        view.put("changedAt", text(version.changedAt()));
        draft(view, version.draft());
        view.put("deleted", version.deleted());
        view.put("review", version.review().text());
        return view;
    }

    /** An image's "no finding" mark. */
    static Map<String, Object> mark(NoFindingMark mark) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("imageId", mark.imageId());
        view.put("marked", mark.marked());
        view.put("version", mark.version());
        view.put("changedBy", mark.changedBy());
        view.put("changedAt", text(mark.changedAt()));
        return view;
    }

    /** Whatever a change saved or conflicted over: a region or a mark. */
    static Object of(Object value) {
        if (value instanceof StoredRegion region) {
            return region(region);
        }
        if (value instanceof NoFindingMark mark) {
            return mark(mark);
        }
        throw new IllegalArgumentException("no view for " + value.getClass().getSimpleName());
    }

    private static void draft(Map<String, Object> view, RegionDraft draft) {
        view.put("type", draft.type());
        view.put("label", draft.label());
        Geometry geometry = draft.geometry();
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("kind", geometry.kind().text());
        Geometry.Box box = geometry.box();
        shape.put("box", box == null ? null : Map.of("x", box.x(), "y", box.y(), "width", box.width(), "height", box.height()));
        List<double[]> points = new ArrayList<>();
        for (Geometry.Point point : geometry.polygon()) {
            points.add(new double[] {point.x(), point.y()});
        }
        shape.put("polygon", points);
        view.put("geometry", shape);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
