package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The shortcut kinds of {@link SyntheticChestXrays}: each cue lies outside every region of its image,
 * follows the class in train and val and is independent of it in test; lesion variety varies size and
 * count; the original task is byte for byte what it was before the kinds existed.
 */
class SyntheticShortcutsTest {
    /** {@code Fingerprint} of {@code Spec.shortcutTask(1)} (the demo's and the CLI's default), computed before the kinds were added. */
    static final String DEFAULT_FINGERPRINT = "ee9ad98aaa38d71fd29210b7fc59d822a24e6d4acffdcf7bce1097d97ae9980f";
    /** SHA-256 over every file of the same folder (relative path, a zero byte, the bytes; sorted by path), computed then too. */
    static final String DEFAULT_TREE = "d52fdc0970bf5d61bfc579c9fd4ebfbcae3e94c71bc3a5eaa011cbcf644ea547";

    @TempDir
    Path dir;

    @Test
    void theDefaultTaskIsUnchanged() throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("default"), SyntheticChestXrays.Spec.shortcutTask(1));

        Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv")));
        assertThat(Fingerprint.of(dataset)).isEqualTo(DEFAULT_FINGERPRINT);
        assertThat(treeHash(data)).isEqualTo(DEFAULT_TREE);
        // the 7-value spec is the marker task without variety
        assertThat(SyntheticChestXrays.Spec.shortcutTask(1))
                .isEqualTo(new SyntheticChestXrays.Spec(64, 80, 20, 40, 0.1, 0.7, 1, ShortcutKind.MARKER, false));
    }

    /**
     * The same generator state drawn with cue class 0, 1 and 2 gives the same image except the cue: the
     * pixels that differ are the cue's, and none of them lies in a lesion box or a lung box.
     */
    @ParameterizedTest
    @EnumSource(ShortcutKind.class)
    void eachKindDrawsItsCueOutsideEveryRegion(ShortcutKind kind) {
        for (int size : new int[] {64, 128}) {
            for (boolean variety : new boolean[] {false, true}) {
                for (int seed = 0; seed < 12; seed++) {
                    for (String className : SyntheticChestXrays.CLASSES) {
                        List<SyntheticChestXrays.Drawn> drawn = new ArrayList<>();
                        for (int cue = 0; cue < 3; cue++) {
                            drawn.add(SyntheticChestXrays.draw(size, className, cue, 0.9, kind, variety,
                                    new SplittableRandom(1000L * size + seed)));
                        }
                        SyntheticChestXrays.Drawn first = drawn.get(0);
                        List<int[]> regions = new ArrayList<>(first.lungBoxes());
                        regions.addAll(first.lesionBoxes());
                        assertThat(first.lesionBoxes()).hasSize(className.equals("healthy") ? 0 : first.lesionBoxes().size())
                                .hasSizeBetween(className.equals("healthy") ? 0 : 1, className.equals("healthy") ? 0 : 3);
                        for (int a = 0; a < 3; a++) {
                            for (int b = a + 1; b < 3; b++) {
                                int differing = 0;
                                float[] pa = drawn.get(a).pixels();
                                float[] pb = drawn.get(b).pixels();
                                for (int i = 0; i < pa.length; i++) {
                                    if (pa[i] != pb[i]) {
                                        differing++;
                                        int x = i % size;
                                        int y = i / size;
                                        for (int[] box : regions) {
                                            assertThat(x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3])
                                                    .as("%s size %d variety %s seed %d %s: cue pixel (%d, %d) in region %s",
                                                            kind, size, variety, seed, className, x, y, java.util.Arrays.toString(box))
                                                    .isFalse();
                                        }
                                    }
                                }
                                // cue classes look different: at least a handful of pixels (tags L and R at 64 px differ in 5)
                                assertThat(differing).as("%s size %d cues %d vs %d", kind, size, a, b).isGreaterThanOrEqualTo(5);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void theCueFollowsTheClassInTrainAndValAndIsBalancedAcrossClassesInTest() throws Exception {
        Path data = SyntheticChestXrays.generate(dir.resolve("text"),
                new SyntheticChestXrays.Spec(32, 4, 2, 6, 0.0, 0.9, 11, ShortcutKind.TEXT, true));

        Map<String, Integer> test = new TreeMap<>();
        int trainVal = 0;
        for (String[] row : rows(data.resolve("labels.csv"))) {
            String part = row[4];
            if (part.equals("test")) {
                test.merge(row[2] + "->" + row[5], 1, Integer::sum);
                assertThat(row[6]).isEqualTo(row[2].equals(row[5]) ? "1" : "0");
            } else {
                assertThat(row[5]).as("cue class of %s", row[0]).isEqualTo(row[2]);
                assertThat(row[6]).isEqualTo("1");
                trainVal++;
            }
        }
        assertThat(trainVal).isEqualTo(3 * (4 + 2));
        // 6 test images per class: each of the 3 cue classes exactly twice per class
        Map<String, Integer> expected = new TreeMap<>();
        for (String c : SyntheticChestXrays.CLASSES) {
            for (String cue : SyntheticChestXrays.CLASSES) {
                expected.put(c + "->" + cue, 2);
            }
        }
        assertThat(test).isEqualTo(expected);
    }

    @Test
    void theTestCuesOfTheOriginalTaskStayRandom() throws Exception {
        // seed 1, 40 test images per class: the original draws are kept, not balanced (the counts are the old ones)
        Path data = SyntheticChestXrays.generate(dir.resolve("marker"), new SyntheticChestXrays.Spec(32, 1, 1, 40, 0, 0.7, 1));
        long agreeing = rows(data.resolve("labels.csv")).stream().filter(r -> r[4].equals("test") && r[6].equals("1")).count();
        assertThat(agreeing).isNotEqualTo(40L);
        assertThat(agreeing).isBetween(25L, 55L);
    }

    @Test
    void lesionVarietyGivesOneToThreeLesionsOfVariedSize() throws Exception {
        Path varied = SyntheticChestXrays.generate(dir.resolve("varied"),
                new SyntheticChestXrays.Spec(128, 12, 1, 1, 0.0, 0.9, 5, ShortcutKind.BORDER, true));
        Path plain = SyntheticChestXrays.generate(dir.resolve("plain"),
                new SyntheticChestXrays.Spec(128, 12, 1, 1, 0.0, 0.9, 5, ShortcutKind.BORDER, false));

        LesionStats v = lesionStats(varied);
        LesionStats p = lesionStats(plain);
        // 2 pathological classes x 14 images, all annotated (unannotated fraction 0)
        assertThat(p.perImage()).hasSize(28).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
        assertThat(v.perImage()).hasSize(28);
        assertThat(v.perImage().values()).contains(1, 2, 3).allSatisfy(n -> assertThat(n).isBetween(1, 3));
        // plain: radius 6-8% of 128 px, box side about 2.1 r + 1: 17 to 23 px
        assertThat(p.minSide()).isGreaterThanOrEqualTo(16);
        assertThat(p.maxSide()).isLessThanOrEqualTo(23);
        // varied: semi-axes 3.5-9% of the side, aspect 0.6-1: sides from about 6 to 25 px
        assertThat(v.minSide()).isLessThan(12);
        assertThat(v.maxSide()).isGreaterThan(20);
        assertThat(v.distinctSides()).isGreaterThan(p.distinctSides());
        // each lesion of a varied image has a mask file of its own
        assertThat(Files.readString(varied.resolve("regions.csv"))).contains("_lesion1.png").contains("_lesion2.png");
    }

    record LesionStats(Map<String, Integer> perImage, int minSide, int maxSide, int distinctSides) {
    }

    private static LesionStats lesionStats(Path data) throws Exception {
        Map<String, Integer> perImage = new HashMap<>();
        java.util.Set<Integer> sides = new java.util.TreeSet<>();
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (String[] row : rows(data.resolve("regions.csv"))) {
            if (row[2].equals("lesion")) {
                perImage.merge(row[0], 1, Integer::sum);
                int side = Math.max(Integer.parseInt(row[6]), Integer.parseInt(row[7]));
                sides.add(side);
                min = Math.min(min, side);
                max = Math.max(max, side);
            }
        }
        return new LesionStats(perImage, min, max, sides.size());
    }

    private static List<String[]> rows(Path csv) throws Exception {
        return Files.readAllLines(csv).stream().skip(1).map(l -> l.split(",", -1)).toList();
    }

    static String treeHash(Path root) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                digest.update(root.relativize(file).toString().getBytes());
                digest.update((byte) 0);
                digest.update(Files.readAllBytes(file));
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
