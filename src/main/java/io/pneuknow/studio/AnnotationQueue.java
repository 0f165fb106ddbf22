package io.pneuknow.studio;

import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.data.Split;
import io.pneuknow.queue.Candidate;
import io.pneuknow.queue.Strategy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The page's "Next to annotate" queue: which images are candidates, and their order under a {@link Strategy}.
 *
 * <p>A candidate is an image with no live region (none, or all deleted) and no "no finding" mark, that is not of the
 * test part: the test part scores the models the studio's jobs train, and a queue that sent the expert there would
 * steer annotation, and so the guided model, by test images. The test part is what the image's part names as
 * {@code test} (or {@code holdout}, any case: {@link Split#partName}); images without a part, or with fold numbers,
 * are candidates, since no test part is known for them (the answer says how many images had a known test part). Validation images stay
 * candidates: their regions choose the teacher's epoch.
 *
 * <p>Classes (for {@code stratified}, {@code coverage} and the combination's class order) are the images' class names
 * in sorted order, then "no class" for images without one; an image counts as annotated for {@code coverage} when it
 * has a live region or a "no finding" mark (test images not counted).
 */
final class AnnotationQueue {
    /**
     * The strategy the page offers first: random order. The evidence is docs/results.md, "Issue 23: which images to
     * annotate next, first simulation": on the two frozen shortcut tasks simulated (tiny_cnn at 64 px, 3 seeds) no
     * strategy separated from random, every interval overlapping, because at that recipe guidance itself gained little.
     * Without evidence for another order, random is the honest default (and the cheapest: it needs no model). A
     * simulation that separates strategies changes this constant and {@link #DEFAULT_REASON}.
     */
    static final Strategy DEFAULT_STRATEGY = Strategy.RANDOM;
    /** Why {@link #DEFAULT_STRATEGY} is the default, as the page says next to the selector. */
    static final String DEFAULT_REASON = "Random order: no strategy has beaten it in our simulations "
            + "(docs/results.md, \"Issue 23: which images to annotate next\").";
    /** The seed of the random orders (random, stratified, coverage) unless a request names one. */
    static final long DEFAULT_SEED = 1;
    /** The class name the queue gives images without a class. */
    static final String NO_CLASS = "(no class)";

    /**
     * The images a queue ranks and what it ranks them against.
     *
     * @param classes the class names, by class index
     * @param unannotated the candidates, by image id
     * @param annotatedPerClass images annotated so far per class index (test images not counted)
     * @param testImages images left out as the test part (annotated or not)
     */
    record Candidates(List<String> classes, List<ImageEntry> unannotated, int[] annotatedPerClass, int testImages) {
    }

    /**
     * One image of the ranked queue.
     *
     * @param rank its place in the whole queue, from 1
     * @param score the strategy's score (entropy, total variation, or the combination's), null for the orders without one
     * @param reason why it is here, in words: "entropy 0.912", or for coverage "pneumonia (2 so far)", the images of
     *     its class annotated plus those queued above it (the count the rule compares); null for random
     */
    record Ranked(int rank, ImageEntry image, Double score, String reason) {
    }

    private AnnotationQueue() {
    }

    /** Whether an image's part is the test part ({@code test} or {@code holdout}, any case). */
    static boolean isTest(String part) {
        return part != null && Split.TEST.equals(Split.partName(part));
    }

    /** The candidates among every image of the store, in one read (images, their live region counts and marks). */
    static Candidates candidates(AnnotationStore store) {
        AnnotationStore.ImagePage all = store.images(new AnnotationStore.ImageQuery(null, null, null, null, 0, Integer.MAX_VALUE));
        return candidates(all.rows());
    }

    /** The candidates among these rows of the image list. */
    static Candidates candidates(List<AnnotationStore.ImageRow> rows) {
        TreeSet<String> named = new TreeSet<>();
        boolean unnamed = false;
        for (AnnotationStore.ImageRow row : rows) {
            if (row.image().className() == null) {
                unnamed = true;
            } else {
                named.add(row.image().className());
            }
        }
        List<String> classes = new ArrayList<>(named);
        if (unnamed) {
            classes.add(NO_CLASS);
        }
        int[] annotated = new int[classes.size()];
        List<ImageEntry> unannotated = new ArrayList<>();
        int test = 0;
        for (AnnotationStore.ImageRow row : rows) {
            if (isTest(row.image().part())) {
                test++;
            } else if (row.regions() > 0 || row.noFinding()) {
                annotated[classes.indexOf(className(row.image()))]++;
            } else {
                unannotated.add(row.image());
            }
        }
        return new Candidates(List.copyOf(classes), List.copyOf(unannotated), annotated, test);
    }

    /**
     * The candidates in the strategy's order ({@link Strategy#rank}), each with its score and reason. A model-based
     * strategy ranks only the candidates {@code student} (and for the teacher's strategies {@code teacher}) has
     * probabilities for; the others (files missing or unreadable) are left out.
     *
     * @param student the served model's probabilities per image id; null when the strategy needs none
     * @param teacher its teacher's probabilities per image id; null when the strategy needs none
     */
    static List<Ranked> rank(Strategy strategy, Candidates candidates, Map<String, double[]> student,
                             Map<String, double[]> teacher, long seed) {
        Map<String, ImageEntry> byId = new HashMap<>();
        List<Candidate> ranked = new ArrayList<>();
        for (ImageEntry image : candidates.unannotated()) {
            double[] s = strategy.needsStudent() ? student.get(image.id()) : null;
            double[] t = strategy.needsTeacher() ? teacher.get(image.id()) : null;
            if (strategy.needsStudent() && s == null || strategy.needsTeacher() && t == null) {
                continue;
            }
            byId.put(image.id(), image);
            ranked.add(new Candidate(image.id(), null, candidates.classes().indexOf(className(image)), s, t));
        }
        Map<String, Candidate> candidateOf = new HashMap<>();
        ranked.forEach(c -> candidateOf.put(c.imageId(), c));
        int[] count = candidates.annotatedPerClass().clone();
        List<Ranked> out = new ArrayList<>();
        for (String id : strategy.rank(ranked, candidates.annotatedPerClass(), seed)) {
            Candidate c = candidateOf.get(id);
            String className = candidates.classes().get(c.classIndex());
            Double score = switch (strategy) {
                case UNCERTAINTY -> Strategy.entropy(c.student());
                case DISAGREEMENT -> Strategy.totalVariation(c.student(), c.teacher());
                case COMBINATION -> Strategy.combinedScore(c);
                default -> null;
            };
            String reason = switch (strategy) {
                case RANDOM -> null;
                case STRATIFIED -> className;
                case UNCERTAINTY -> String.format(Locale.ROOT, "entropy %.3f", score);
                case DISAGREEMENT -> String.format(Locale.ROOT, "disagreement %.3f", score);
                case COVERAGE -> className + " (" + count[c.classIndex()] + " so far)";
                case COMBINATION -> String.format(Locale.ROOT, "%s (%d so far), score %.3f", className,
                        count[c.classIndex()], score);
            };
            count[c.classIndex()]++;
            out.add(new Ranked(out.size() + 1, byId.get(id), score, reason));
        }
        return out;
    }

    private static String className(ImageEntry image) {
        return image.className() == null ? NO_CLASS : image.className();
    }
}
