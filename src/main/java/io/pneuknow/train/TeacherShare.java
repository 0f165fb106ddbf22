package io.pneuknow.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * The reference's annotation-fraction control ({@code method.teacherFraction}, study name
 * {@code hkd-fraction-F}; Schaudt et al. 2023 trained the teacher on 10-70 % of the annotated images
 * and distilled the student on all of them): the HKD teacher's share of the training images and
 * its scaled epochs. The share is drawn per class ({@code round(F * n_c)} images of a class of
 * {@code n_c}, at least one), seeded by the run's seed, so it is fixed per seed and training part;
 * the epochs are {@code round(E / F)} (at least one), so the teacher takes about as many steps as
 * on every image.
 */
final class TeacherShare {
    /** The random stream of the draw (other streams of the run's seed: 3-5 ROI pairings, 6 regions kept). */
    private static final long STREAM = 8;

    private TeacherShare() {
    }

    /**
     * The positions (ascending) of the training images the teacher trains on, from each image's
     * class index in training order: every position for a fraction of 1, else a seeded draw of
     * {@code max(1, round(fraction * n_c))} positions of each class.
     */
    static List<Integer> draw(List<Integer> labels, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("teacher fraction " + fraction + " is not in (0, 1]");
        }
        List<Integer> drawn = new ArrayList<>();
        if (fraction >= 1) {
            for (int i = 0; i < labels.size(); i++) {
                drawn.add(i);
            }
            return drawn;
        }
        TreeMap<Integer, List<Integer>> byClass = new TreeMap<>();
        for (int i = 0; i < labels.size(); i++) {
            byClass.computeIfAbsent(labels.get(i), c -> new ArrayList<>()).add(i);
        }
        byClass.forEach((label, positions) -> {
            List<Integer> shuffled = new ArrayList<>(positions);
            Collections.shuffle(shuffled, new Random(Schedules.mix(seed, STREAM, label)));
            int keep = (int) Math.max(1, Math.round(fraction * positions.size()));
            drawn.addAll(shuffled.subList(0, keep));
        });
        Collections.sort(drawn);
        return drawn;
    }

    /** The teacher's epochs on its share: {@code max(1, round(epochs / fraction))}. */
    static int epochs(int epochs, double fraction) {
        return (int) Math.max(1, Math.round(epochs / fraction));
    }
}
