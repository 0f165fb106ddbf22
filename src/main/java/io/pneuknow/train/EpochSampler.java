package io.pneuknow.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The order of one epoch's training samples. Both kinds draw from a generator seeded by (seed,
 * stage, epoch) alone, so a run is repeatable and a resumed run draws the same epochs as an
 * uninterrupted one.
 *
 * <ul>
 *   <li>{@code shuffle}: every sample once, in random order.
 *   <li>{@code class-balanced}: as many draws as there are samples, with replacement: each draw
 *       picks one of the classes present uniformly, then one of its samples uniformly, so every
 *       class is expected in {@code 1/K} of the draws. Minority images repeat within an epoch
 *       (each repeat with its own augmentation draw); majority images are each seen about
 *       {@code n / (K n_c)} times per epoch, some not at all.
 * </ul>
 */
final class EpochSampler {
    private EpochSampler() {
    }

    static List<BatchLoader.Item> order(List<BatchLoader.Item> train, boolean classBalanced, long seed, int stageId,
                                        int epoch) {
        if (!classBalanced) {
            List<BatchLoader.Item> order = new ArrayList<>(train);
            Collections.shuffle(order, new Random(Schedules.mix(seed, stageId, epoch, 1)));
            return order;
        }
        return classBalanced(train, new Random(Schedules.mix(seed, stageId, epoch, 2)));
    }

    private static List<BatchLoader.Item> classBalanced(List<BatchLoader.Item> train, Random random) {
        // classes in label order, samples in list order: the draws depend on the seed only
        Map<Integer, List<BatchLoader.Item>> byClass = new TreeMap<>();
        for (BatchLoader.Item item : train) {
            byClass.computeIfAbsent(item.sample().label(), c -> new ArrayList<>()).add(item);
        }
        List<List<BatchLoader.Item>> classes = new ArrayList<>(byClass.values());
        Map<BatchLoader.Item, Integer> drawn = new IdentityHashMap<>();
        List<BatchLoader.Item> order = new ArrayList<>(train.size());
        for (int i = 0; i < train.size(); i++) {
            List<BatchLoader.Item> members = classes.get(random.nextInt(classes.size()));
            BatchLoader.Item item = members.get(random.nextInt(members.size()));
            int before = drawn.merge(item, 1, Integer::sum) - 1;
            order.add(before == 0 ? item : item.repeat(before));
        }
        return order;
    }
}
