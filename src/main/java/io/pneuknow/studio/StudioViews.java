package io.pneuknow.studio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.Job;
import io.pneuknow.jobs.JobRunner;
import io.pneuknow.annotate.NoFindingMark;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.annotate.RegionVersion;
import io.pneuknow.annotate.RegisteredModel;
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

    /**
     * A job: settings as an object, state, who and when, progress 0..1, last message, and for a study job whose
     * report is written the report's address.
     */
    static Map<String, Object> job(Job job) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", job.id());
        view.put("kind", job.kind());
        view.put("settings", json(job.settings()));
        view.put("snapshotId", job.snapshotId());
        view.put("state", job.state().text());
        view.put("createdBy", job.createdBy());
        view.put("createdAt", text(job.createdAt()));
        view.put("startedAt", text(job.startedAt()));
        view.put("finishedAt", text(job.finishedAt()));
        view.put("progress", job.progress());
        view.put("message", job.message());
        view.put("report", JobRunner.studyReport(job).map(file -> "/api/jobs/" + job.id() + "/report").orElse(null));
        return view;
    }

    /** A registered model without its card: ids, method, architecture, test metrics, provenance, promotion. */
    static Map<String, Object> model(RegisteredModel model) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", model.id());
        view.put("jobId", model.jobId());
        view.put("modelId", model.modelId());
        view.put("weightsSha256", model.weightsSha256());
        view.put("method", model.method());
        view.put("architecture", model.architecture());
        view.put("metrics", json(model.metrics()));
        view.put("dataFingerprint", model.dataFingerprint());
        view.put("snapshotId", model.snapshotId());
        view.put("createdAt", text(model.createdAt()));
        view.put("promoted", model.promoted());
        return view;
    }

    /** A registered model with its card, less the long lists (the parts' image hashes, the input statistics). */
    static Map<String, Object> modelWithCard(RegisteredModel model) {
        Map<String, Object> view = model(model);
        JsonNode card = json(model.card());
        if (card instanceof ObjectNode object) {
            object.remove(List.of("parts", "inputStatistics"));
        }
        view.put("card", card);
        return view;
    }

    /** For every test metric both models have a number for: b's estimate minus a's. */
    static Map<String, Double> metricDifference(RegisteredModel a, RegisteredModel b) {
        JsonNode first = json(a.metrics());
        JsonNode second = json(b.metrics());
        Map<String, Double> difference = new LinkedHashMap<>();
        for (var names = first.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            JsonNode x = first.path(name).path("estimate");
            JsonNode y = second.path(name).path("estimate");
            if (x.isNumber() && y.isNumber()) {
                difference.put(name, y.doubleValue() - x.doubleValue());
            }
        }
        return difference;
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is damaged: " + e.getOriginalMessage(), e);
        }
    }
}
