package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RegionSourceTest {
    private final Path root = Path.of("/data/set");

    @Test
    void aSpecWithoutRegionFilesNamesNoSource() {
        assertThat(RegionSource.of(DataSpec.of(root))).isEmpty();
    }

    @Test
    void sourcesComeInReadingOrderWhateverTheOrderTheSpecWasGiven() {
        DataSpec spec = DataSpec.of(root).withMasksDir(Path.of("masks")).withCocoJson(Path.of("boxes.json"))
                .withRegionsCsv(Path.of("regions.csv"));

        assertThat(RegionSource.of(spec)).containsExactly(
                new RegionsCsvSource(Path.of("/data/set/regions.csv")),
                new CocoJsonSource(Path.of("/data/set/boxes.json")),
                new MaskFolderSource(Path.of("/data/set/masks")));
    }

    @Test
    void onlyTheNamedFormatIsRead() {
        DataSpec spec = DataSpec.of(root).withCocoJson(Path.of("boxes.json"));

        assertThat(RegionSource.of(spec)).containsExactly(new CocoJsonSource(Path.of("/data/set/boxes.json")));
    }
}
