package io.pneuknow.evaluate;

import java.util.List;
import java.util.Map;

/**
 * Heat-map agreement with the expert's regions over the annotated images of an evaluated part, with
 * patient-level intervals ({@link LocalisationSummary}); evaluation.json's {@code "localisation"}.
 *
 * @param annotatedImages annotated images whose agreement is defined (the others are in {@code undefined})
 * @param heatMap         which heat map was scored, in words
 * @param heatStage       the requested stage: 0 for the last feature map, N for backbone child N
 * @param energy          mean share of the heat inside the regions; null without annotated images
 * @param hitRate         share of images whose hottest pixel lies inside a region; null without annotated images
 * @param iou             mean IoU; null without annotated images
 * @param auprc           mean AUPRC; null without annotated images
 * @param perClass        per class, the figures or why there are none
 * @param overlays        overlay PNGs written, relative to the output folder
 * @param undefined       "image id: reason" for each annotated image whose agreement is undefined
 */
public record Localisation(int annotatedImages, String heatMap, int heatStage, Interval energy, Interval hitRate,
                           Interval iou, Interval auprc, Map<String, ClassLocalisation> perClass, List<String> overlays,
                           List<String> undefined) {

    /** The localisation of {@code summary} over {@code annotatedImages} images, with how it was made. */
    public static Localisation of(int annotatedImages, String heatMap, int heatStage, LocalisationSummary summary,
                                  List<String> overlays, List<String> undefined) {
        return new Localisation(annotatedImages, heatMap, heatStage, summary.energy(), summary.hitRate(), summary.iou(),
                summary.auprc(), summary.perClass(), overlays, undefined);
    }
}
