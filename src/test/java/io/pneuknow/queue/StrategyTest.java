package io.pneuknow.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pneuknow.BadInputException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each ranking against hand-computed orders; fixtures asymmetric, given out of id order. */
class StrategyTest {
    private static final double THIRD = 1.0 / 3;

    /**
     * Five images of three classes, given out of id order. Entropy (nats): a ln 3 = 1.0986, b = d = ln 2 = 0.6931,
     * c 0.6390, e 0. Total variation to the teacher: a 0, b 1.0, c 0.7, d 0.5, e 0.5.
     */
    private static List<Candidate> five() {
        return List.of(
                new Candidate("d", "p4", 0, new double[] {0.5, 0.5, 0}, new double[] {0.5, 0, 0.5}),
                new Candidate("a", "p1", 0, new double[] {THIRD, THIRD, THIRD}, new double[] {THIRD, THIRD, THIRD}),
                new Candidate("e", "p5", 1, new double[] {1, 0, 0}, new double[] {0.5, 0.5, 0}),
                new Candidate("c", "p3", 2, new double[] {0.8, 0.1, 0.1}, new double[] {0.1, 0.1, 0.8}),
                new Candidate("b", "p2", 2, new double[] {0, 0.5, 0.5}, new double[] {1, 0, 0}));
    }

    private static final int[] COUNTS = {2, 0, 1};

    @Test
    void measuresAreTheHandComputedValues() {
        assertThat(Strategy.entropy(new double[] {THIRD, THIRD, THIRD})).isCloseTo(Math.log(3), within(1e-12));
        assertThat(Strategy.entropy(new double[] {0.8, 0.1, 0.1})).isCloseTo(0.639031859, within(1e-9));
        assertThat(Strategy.entropy(new double[] {1, 0, 0})).isZero();
        assertThat(Strategy.totalVariation(new double[] {0.8, 0.1, 0.1}, new double[] {0.1, 0.1, 0.8}))
                .isCloseTo(0.7, within(1e-12));
        assertThat(Strategy.totalVariation(new double[] {0, 0.5, 0.5}, new double[] {1, 0, 0})).isCloseTo(1, within(1e-12));
        // b: ln 2 / ln 3 + 1 = 1.6309; c: 0.639032 / 1.098612 + 0.7 = 1.281672
        assertThat(Strategy.combinedScore(five().get(4))).isCloseTo(1.630930, within(1e-6));
        assertThat(Strategy.combinedScore(five().get(3))).isCloseTo(1.281672, within(1e-6));
    }

    @Test
    void uncertaintyIsLargestEntropyFirstTiesByIdAndIgnoresTheSeed() {
        // a 1.0986; b and d tie at ln 2 (b first by id); c 0.6390; e 0
        assertThat(Strategy.UNCERTAINTY.rank(five(), COUNTS, 1)).containsExactly("a", "b", "d", "c", "e");
        assertThat(Strategy.UNCERTAINTY.rank(five(), COUNTS, 99)).containsExactly("a", "b", "d", "c", "e");
    }

    @Test
    void disagreementIsLargestTotalVariationFirstTiesById() {
        // b 1.0, c 0.7, d and e tie at 0.5 (d first by id), a 0: not the uncertainty order
        assertThat(Strategy.DISAGREEMENT.rank(five(), COUNTS, 1)).containsExactly("b", "c", "d", "e", "a");
    }

    @Test
    void combinationFillsTheLeastAnnotatedClassFirstAndTakesTheBestScoreWithinIt() {
        // scores: a 1.0, b 1.6309, c 1.2817, d 1.1309, e 0.5. Counts [2, 0, 1]: class 1 (e) -> [2, 1, 1]; class 1 has
        // no candidate left, so class 2 (b, its best) -> [2, 1, 2]; classes 0 and 2 tie, the lower index: d -> [3, 1, 2];
        // class 2: c; class 0: a
        assertThat(Strategy.COMBINATION.rank(five(), COUNTS, 1)).containsExactly("e", "b", "d", "c", "a");
        // counts [5, 5, 0]: class 2 twice (b, c), then classes 0 and 1 tie at 5: d, then class 1 (5 < 6): e, then a
        assertThat(Strategy.COMBINATION.rank(five(), new int[] {5, 5, 0}, 1)).containsExactly("b", "c", "d", "e", "a");
    }

    @Test
    void coverageVisitsClassesByAnnotatedCountWithTheRandomOrderWithinEach() {
        List<Candidate> five = five();
        Map<String, Integer> classOf = new HashMap<>();
        five.forEach(c -> classOf.put(c.imageId(), c.classIndex()));
        for (long seed : new long[] {1, 2, 3}) {
            List<String> order = Strategy.COVERAGE.rank(five, COUNTS, seed);
            // as in the combination: classes 1, 2, 0, 2, 0
            assertThat(order.stream().map(classOf::get).toList()).containsExactly(1, 2, 0, 2, 0);
            List<String> random = Strategy.RANDOM.rank(five, COUNTS, seed);
            for (int c = 0; c < 3; c++) {
                int cls = c;
                assertThat(order.stream().filter(id -> classOf.get(id) == cls).toList())
                        .isEqualTo(random.stream().filter(id -> classOf.get(id) == cls).toList());
            }
        }
    }

    @Test
    void stratifiedKeepsEveryPrefixProportionalByLargestDeficitTiesToTheLowerClass() {
        // four of class 0, two of class 1 (N = 6): deficits (k+1) n_c - picked_c N give classes 0, 1, 0, 0, 1, 0
        List<Candidate> six = new ArrayList<>();
        for (String id : List.of("f", "b", "e", "a")) {
            six.add(new Candidate(id, "p" + id, 0));
        }
        six.add(new Candidate("z", "pz", 1));
        six.add(new Candidate("c", "pc", 1));
        Map<String, Integer> classOf = new HashMap<>();
        six.forEach(c -> classOf.put(c.imageId(), c.classIndex()));
        for (long seed : new long[] {1, 7}) {
            List<String> order = Strategy.STRATIFIED.rank(six, new int[] {0, 9}, seed);
            assertThat(order.stream().map(classOf::get).toList()).containsExactly(0, 1, 0, 0, 1, 0);
            List<String> random = Strategy.RANDOM.rank(six, new int[] {0, 9}, seed);
            assertThat(order.stream().filter(id -> classOf.get(id) == 0).toList())
                    .isEqualTo(random.stream().filter(id -> classOf.get(id) == 0).toList());
        }
        // two and two: ties go to class 0, then the deficit alternates
        List<Candidate> four = List.of(new Candidate("a", "p", 1), new Candidate("b", "p", 0), new Candidate("c", "p", 1),
                new Candidate("d", "p", 0));
        assertThat(Strategy.STRATIFIED.rank(four, new int[] {0, 0}, 5).stream()
                .map(id -> id.equals("b") || id.equals("d") ? 0 : 1).toList()).containsExactly(0, 1, 0, 1);
    }

    @Test
    void randomIsASeededPermutationIndependentOfTheInputOrderAndFairAcrossSeeds() {
        List<Candidate> eight = new ArrayList<>();
        for (String id : List.of("h", "c", "a", "g", "b", "f", "e", "d")) {
            eight.add(new Candidate(id, "p", 0));
        }
        List<Candidate> reversed = new ArrayList<>(eight);
        java.util.Collections.reverse(reversed);
        List<String> one = Strategy.RANDOM.rank(eight, new int[] {0}, 1);
        assertThat(one).containsExactlyInAnyOrder("a", "b", "c", "d", "e", "f", "g", "h");
        assertThat(Strategy.RANDOM.rank(reversed, new int[] {0}, 1)).isEqualTo(one);
        assertThat(Strategy.RANDOM.rank(eight, new int[] {0}, 2)).isNotEqualTo(one);
        // over 3000 seeds each of three images comes first about a third of the time
        List<Candidate> three = List.of(new Candidate("x", "p", 0), new Candidate("y", "p", 0), new Candidate("z", "p", 0));
        Map<String, Integer> first = new HashMap<>();
        for (long seed = 0; seed < 3000; seed++) {
            first.merge(Strategy.RANDOM.rank(three, new int[] {0}, seed).get(0), 1, Integer::sum);
        }
        assertThat(first.values()).allSatisfy(n -> assertThat(n).isBetween(900, 1100));
    }

    @Test
    void refusesUnknownOrRepeatedNamesAndCandidatesWithoutTheProbabilitiesItNeeds() {
        assertThat(Strategy.parseList("random,coverage, combination")).containsExactly(Strategy.RANDOM, Strategy.COVERAGE,
                Strategy.COMBINATION);
        assertThatThrownBy(() -> Strategy.parseList("random,entropy")).isInstanceOf(BadInputException.class)
                .hasMessage("strategy 'entropy' is unknown; use random, stratified, uncertainty, disagreement, coverage,"
                        + " combination");
        assertThatThrownBy(() -> Strategy.parseList("random,random")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("listed twice");
        List<Candidate> bare = List.of(new Candidate("a", "p", 0), new Candidate("b", "p", 0));
        assertThat(Strategy.RANDOM.rank(bare, new int[] {0}, 3)).hasSize(2);
        assertThatThrownBy(() -> Strategy.DISAGREEMENT.rank(bare, new int[] {0}, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("candidate a lacks");
    }
}
