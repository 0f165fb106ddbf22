package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.Box;
import io.pneuknow.data.Region;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The shuffled-ROI control tests the regions' location only: annotated images swap regions among
 * themselves (never their own), and no-finding images keep their empty ROI, so the teacher's
 * views still say which images have no finding.
 */
class ShuffledRoiViewsTest {
    private static final RoiPolicy POLICY = new RoiPolicy("healthy", RoiPolicy.Unannotated.EXCLUDE);

    private static PreparedSample sample(int index, String className, boolean annotated) {
        List<Region> regions = annotated ? List.of(new Region("lesion", className, new Box(index, index, 4, 4), null,
                "fixture")) : List.of();
        Sample s = new Sample("img" + index, Path.of("img" + index + ".png"), className, className.equals("healthy") ? 0
                : 1, "p" + index, regions, Map.of(), List.of());
        boolean hasRoi = annotated || className.equals("healthy");
        return new PreparedSample(index, s, new GreyImage(8, 8, new float[64]), hasRoi ? new GreyImage(8, 8,
                new float[64]) : null);
    }

    @Test
    void annotatedImagesSwapRegionsAmongThemselvesAndTheOthersKeepTheirOwnView() {
        // 0, 3, 6: healthy (empty ROI); 7: a finding without regions (no ROI); the rest annotated
        List<PreparedSample> samples = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            boolean healthy = i % 3 == 0 && i < 7;
            samples.add(sample(i, healthy ? "healthy" : "opacity", !healthy && i != 7));
        }
        for (long seed : new long[] {1, 2, 3}) {
            List<BatchLoader.Item> items = TrainRun.shuffledRoiViews(samples, POLICY, seed);
            Set<Integer> partners = new HashSet<>();
            for (int i = 0; i < samples.size(); i++) {
                PreparedSample own = samples.get(i);
                PreparedSample source = items.get(i).roiSource();
                assertThat(items.get(i).sample()).isSameAs(own);
                if (own.sample().annotated()) {
                    assertThat(source).as("image %d, seed %d", i, seed).isNotSameAs(own);
                    assertThat(source.sample().annotated()).isTrue();
                    partners.add(source.index());
                } else {
                    assertThat(source).as("image %d keeps its own view", i).isSameAs(own);
                }
            }
            // a permutation of the 8 annotated images: each gives its regions to exactly one other
            assertThat(partners).containsExactlyInAnyOrder(1, 2, 4, 5, 8, 9, 10, 11);
        }
        // seeded: the same seed, the same pairing; another seed, another pairing
        assertThat(partnersOf(TrainRun.shuffledRoiViews(samples, POLICY, 1)))
                .isEqualTo(partnersOf(TrainRun.shuffledRoiViews(samples, POLICY, 1)))
                .isNotEqualTo(partnersOf(TrainRun.shuffledRoiViews(samples, POLICY, 2)));
    }

    @Test
    void aSingleAnnotatedImageKeepsItsOwnRegionsForWantOfAPartner() {
        List<PreparedSample> samples = List.of(sample(0, "healthy", false), sample(1, "opacity", true));
        List<BatchLoader.Item> items = TrainRun.shuffledRoiViews(samples, POLICY, 1);
        assertThat(items.get(1).roiSource()).isSameAs(samples.get(1));
    }

    private static List<Integer> partnersOf(List<BatchLoader.Item> items) {
        return items.stream().map(item -> item.roiSource().index()).toList();
    }
}
