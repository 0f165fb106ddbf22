package io.pneuknow.queue;

import io.pneuknow.BadInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * The orders in which the queue offers unannotated images, each a pure function of the candidates, the annotated
 * count per class and a seed ({@link #rank}). Candidates are first sorted by image id, so the input order never
 * matters; every tie is broken by image id (ascending) unless the rule says otherwise.
 *
 * <ul>
 *   <li>{@code random}: the ids in a seeded shuffle ({@code Collections.shuffle} of the sorted ids with
 *   {@code new Random(seed)}).</li>
 *   <li>{@code stratified}: class-stratified random: every prefix holds each class in proportion to its share of
 *   the candidates, by the largest deficit (the (k+1)-th pick goes to the class with the largest
 *   {@code (k+1) n_c / N - picked_c}, ties to the lower class index); within a class, the random order.</li>
 *   <li>{@code uncertainty}: the student's entropy {@code -sum p ln p} (natural log) on the full image,
 *   largest first.</li>
 *   <li>{@code disagreement}: the total variation {@code 0.5 sum |p_student - p_teacher|} between the student's and
 *   the teacher's class probabilities, largest first. The teacher learnt from ROI views, and an unannotated image
 *   has no ROI view (its regions are what the annotator would draw), so both are asked on the full image: the
 *   measure is how differently the region-trained teacher and the student read the same unannotated image.</li>
 *   <li>{@code coverage}: rare classes first: each pick goes to the class with the fewest images annotated so far
 *   (the given counts plus this ranking's earlier picks; ties to the lower class index; classes without candidates
 *   left are skipped), so classes are filled round-robin from the least annotated; within a class, the random
 *   order.</li>
 *   <li>{@code combination}: the class order of {@code coverage}; within a class, the largest
 *   {@code H(student) / ln K + TV(student, teacher)} first (normalised entropy plus total variation, each in
 *   [0, 1]).</li>
 * </ul>
 */
public enum Strategy {
    RANDOM(false, false),
    STRATIFIED(false, false),
    UNCERTAINTY(true, false),
    DISAGREEMENT(true, true),
    COVERAGE(false, false),
    COMBINATION(true, true);

    private final boolean needsStudent;
    private final boolean needsTeacher;

    Strategy(boolean needsStudent, boolean needsTeacher) {
        this.needsStudent = needsStudent;
        this.needsTeacher = needsTeacher;
    }

    /** The name on the command line and in the results ({@code random}, ..., {@code combination}). */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the ranking reads the student's probabilities. */
    public boolean needsStudent() {
        return needsStudent;
    }

    /** Whether the ranking reads the teacher's probabilities. */
    public boolean needsTeacher() {
        return needsTeacher;
    }

    /** The strategy of that name; refuses an unknown one, naming the known ones. */
    public static Strategy parse(String name) {
        for (Strategy s : values()) {
            if (s.cliName().equals(name.trim())) {
                return s;
            }
        }
        throw new BadInputException("strategy '" + name + "' is unknown; use " + names());
    }

    /** Comma-separated names, each once, in the order given. */
    public static List<Strategy> parseList(String names) {
        List<Strategy> out = new ArrayList<>();
        for (String name : names.split(",", -1)) {
            Strategy s = parse(name);
            if (out.contains(s)) {
                throw new BadInputException("strategy '" + name.trim() + "' is listed twice in '" + names
                        + "'; name each once");
            }
            out.add(s);
        }
        return out;
    }

    /** Every name, comma-separated. */
    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(Strategy::cliName).toList());
    }

    /**
     * The candidates' ids, most wanted first.
     *
     * @param annotatedPerClass images annotated so far per class index (its length is the class count)
     * @param seed the seed of the random orders (random, stratified, coverage)
     */
    public List<String> rank(List<Candidate> candidates, int[] annotatedPerClass, long seed) {
        List<Candidate> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparing(Candidate::imageId));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).imageId().equals(sorted.get(i - 1).imageId())) {
                throw new IllegalArgumentException("candidate " + sorted.get(i).imageId() + " is given twice");
            }
        }
        for (Candidate c : sorted) {
            if (c.classIndex() < 0 || c.classIndex() >= annotatedPerClass.length) {
                throw new IllegalArgumentException("candidate " + c.imageId() + " has class " + c.classIndex() + " but "
                        + annotatedPerClass.length + " classes are counted");
            }
            if (needsStudent && c.student() == null || needsTeacher && c.teacher() == null) {
                throw new IllegalArgumentException(cliName() + " needs the student's" + (needsTeacher ? " and the teacher's" : "")
                        + " probabilities, which candidate " + c.imageId() + " lacks");
            }
        }
        return switch (this) {
            case RANDOM -> ids(randomOrder(sorted, seed));
            case STRATIFIED -> ids(stratified(randomOrder(sorted, seed), annotatedPerClass.length));
            case UNCERTAINTY -> ids(byScore(sorted, c -> entropy(c.student())));
            case DISAGREEMENT -> ids(byScore(sorted, c -> totalVariation(c.student(), c.teacher())));
            case COVERAGE -> ids(coverage(randomOrder(sorted, seed), annotatedPerClass));
            case COMBINATION -> ids(coverage(byScore(sorted, Strategy::combinedScore), annotatedPerClass));
        };
    }

    /** Entropy in nats, {@code -sum p ln p} with {@code 0 ln 0 = 0}. */
    public static double entropy(double[] p) {
        double h = 0;
        for (double v : p) {
            h -= v > 0 ? v * Math.log(v) : 0;
        }
        return h;
    }

    /** Total variation distance {@code 0.5 sum |p - q|}, in [0, 1]. */
    public static double totalVariation(double[] p, double[] q) {
        if (p.length != q.length) {
            throw new IllegalArgumentException(p.length + " student but " + q.length + " teacher probabilities");
        }
        double d = 0;
        for (int k = 0; k < p.length; k++) {
            d += Math.abs(p[k] - q[k]);
        }
        return d / 2;
    }

    /** The combination's score within a class: {@code H(student) / ln K + TV(student, teacher)}. */
    public static double combinedScore(Candidate c) {
        int k = c.student().length;
        double normalised = k > 1 ? entropy(c.student()) / Math.log(k) : 0;
        return normalised + totalVariation(c.student(), c.teacher());
    }

    private static List<String> ids(List<Candidate> order) {
        return order.stream().map(Candidate::imageId).toList();
    }

    private static List<Candidate> randomOrder(List<Candidate> sorted, long seed) {
        List<Candidate> order = new ArrayList<>(sorted);
        Collections.shuffle(order, new Random(seed));
        return order;
    }

    /** Largest score first; the sort is stable, so ties keep the id order of {@code sorted}. */
    private static List<Candidate> byScore(List<Candidate> sorted, ToDoubleFunction<Candidate> score) {
        List<Candidate> order = new ArrayList<>(sorted);
        order.sort(Comparator.comparingDouble(score).reversed());
        return order;
    }

    /** Each class's candidates in the order of {@code order}, by class index. */
    private static Map<Integer, List<Candidate>> byClass(List<Candidate> order, int classes) {
        Map<Integer, List<Candidate>> queues = new LinkedHashMap<>();
        for (int c = 0; c < classes; c++) {
            queues.put(c, new ArrayList<>());
        }
        order.forEach(c -> queues.get(c.classIndex()).add(c));
        return queues;
    }

    /** Largest deficit {@code (k+1) n_c / N - picked_c}, compared as integers {@code (k+1) n_c - picked_c N}. */
    private static List<Candidate> stratified(List<Candidate> order, int classes) {
        Map<Integer, List<Candidate>> queues = byClass(order, classes);
        long n = order.size();
        long[] size = new long[classes];
        queues.forEach((c, q) -> size[c] = q.size());
        int[] picked = new int[classes];
        List<Candidate> out = new ArrayList<>();
        for (long k = 0; k < n; k++) {
            int best = -1;
            long bestDeficit = Long.MIN_VALUE;
            for (int c = 0; c < classes; c++) {
                if (picked[c] < size[c]) {
                    long deficit = (k + 1) * size[c] - picked[c] * n;
                    if (deficit > bestDeficit) {
                        best = c;
                        bestDeficit = deficit;
                    }
                }
            }
            out.add(queues.get(best).get(picked[best]++));
        }
        return out;
    }

    /** Each pick to the class with the fewest annotated plus picked images (ties: lower index) that has candidates. */
    private static List<Candidate> coverage(List<Candidate> order, int[] annotatedPerClass) {
        int classes = annotatedPerClass.length;
        Map<Integer, List<Candidate>> queues = byClass(order, classes);
        long[] count = new long[classes];
        for (int c = 0; c < classes; c++) {
            count[c] = annotatedPerClass[c];
        }
        int[] picked = new int[classes];
        List<Candidate> out = new ArrayList<>();
        while (out.size() < order.size()) {
            int best = -1;
            for (int c = 0; c < classes; c++) {
                if (picked[c] < queues.get(c).size() && (best < 0 || count[c] < count[best])) {
                    best = c;
                }
            }
            out.add(queues.get(best).get(picked[best]++));
            count[best]++;
        }
        return out;
    }
}
