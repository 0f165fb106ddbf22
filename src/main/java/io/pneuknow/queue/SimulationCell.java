package io.pneuknow.queue;

import java.util.List;

/**
 * One finished cell of the simulation ({@code cell.json}, written last): a training on one annotated set.
 *
 * @param strategy the strategy whose picks made the set; {@link QueueSimulation#START} for the start set every
 *     strategy shares (round 0), {@link QueueSimulation#referenceName()} for the reference method without regions,
 *     {@link QueueSimulation#ALL_REGIONS} for HKD with every candidate annotated
 * @param round 0 for the start set, r for the set after r rounds of picks
 * @param annotatedIds the annotated training images, in the order they were annotated
 * @param picked the images this round added, in the strategy's order (empty in round 0)
 * @param testBalancedAccuracy the final model's balanced accuracy on the task's test part
 * @param teacherTrainingImages the images the teacher trained on (those with an ROI view: annotated images with a
 *     region and the no-finding class's images); 0 for the reference method
 * @param seconds the cell's wall time: training, predictions and scoring
 */
public record SimulationCell(String strategy, long seed, int round, List<String> annotatedIds, List<String> picked,
                             double testBalancedAccuracy, double testAccuracy, int testImages, int teacherTrainingImages,
                             double seconds) {
    public SimulationCell {
        annotatedIds = List.copyOf(annotatedIds);
        picked = List.copyOf(picked);
    }

    /** The number of annotated training images. */
    public int annotated() {
        return annotatedIds.size();
    }
}
