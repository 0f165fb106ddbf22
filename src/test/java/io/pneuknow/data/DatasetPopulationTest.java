package io.pneuknow.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatasetPopulationTest {
    private static Sample sample(String id, String cls, int index, String patient, String source) {
        return new Sample(id, Path.of("/srv/data/images/" + id + ".png"), cls, index, patient, List.of(),
                source == null ? Map.of() : Map.of("source", source), List.of());
    }

    @Test
    void thePopulationReadsAsWordsAndNamesNoServerPath() {
        Dataset dataset = new Dataset(Path.of("/srv/data"), List.of("covid19", "healthy"), List.of(
                sample("a", "covid19", 0, "p1", "ieee8023"), sample("b", "covid19", 0, "p1", "ieee8023"),
                sample("c", "healthy", 1, "p2", "actualmed"), sample("d", "healthy", 1, "p3", null)));
        DataSpec spec = DataSpec.of(Path.of("/srv/data")).withRowCondition("recommended_main", "1")
                .withRowCondition("view", "PA");
        assertThat(dataset.population(spec)).isEqualTo("4 images of 3 patients from labels.csv where recommended_main = 1"
                + " and view = PA; classes covid19, healthy; sources actualmed, ieee8023");
        assertThat(new Dataset(Path.of("/srv/data"), List.of("covid19"), List.of(sample("a", "covid19", 0, "p1", null)))
                .population(DataSpec.of(Path.of("/srv/data")))).isEqualTo("1 images of 1 patients from labels.csv; classes covid19");
    }
}
