package io.pneuknow.experiment;

import io.pneuknow.data.Dataset;
import io.pneuknow.evaluate.MetricSet;
import io.pneuknow.evaluate.Metrics;
import io.pneuknow.evaluate.Prediction;
import io.pneuknow.report.RocCurve;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the study's report plots beyond {@link StudyTables}, computed after the cells and before the report is
 * rendered: each model's metrics and ROC curves on its pooled out-of-fold predictions, and the Grad-CAM
 * {@link HeatMapGallery} (which loads the cells' models).
 *
 * @param models one entry per architecture and method with finished cells, in the order of the results
 */
public record StudyFigures(List<ModelFigures> models, HeatMapGallery gallery) {

    /**
     * One model (architecture and method) on its pooled out-of-fold test predictions (probabilities averaged
     * over seeds per image): metrics (confusion matrix, reliability bins included) and one-vs-rest ROC curves.
     *
     * @param model the architecture and method, space-separated ({@code tiny_cnn hkd})
     */
    public record ModelFigures(String model, MetricSet metrics, List<RocCurve> roc) {
    }

    /** Computes the figures of a study's finished cells; the gallery reads the cells' models from {@code dir}. */
    static StudyFigures of(StudyConfig config, Dataset dataset, List<CellResult> results, Path dir) {
        List<String> classes = dataset.classes();
        Map<String, List<CellResult>> byModel = new LinkedHashMap<>();
        for (CellResult r : results) {
            byModel.computeIfAbsent(r.architecture() + " " + r.method(), k -> new ArrayList<>()).add(r);
        }
        List<ModelFigures> models = new ArrayList<>();
        for (var entry : byModel.entrySet()) {
            List<Prediction> pooled = StudyTables.pooled(entry.getValue());
            models.add(new ModelFigures(entry.getKey(), Metrics.of(pooled, classes), RocCurve.oneVsRest(pooled, classes)));
        }
        return new StudyFigures(models, HeatMapGallery.of(config, dataset, results, dir));
    }
}
