package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyConfigTest {
    @Test
    void theExampleStudyFileReadsWithDefaultsFilledIn() {
        StudyConfig config = StudyConfig.read(Path.of("docs/examples/study-cxr-adult.json"));
        assertThat(config.folds()).isEqualTo(5);
        assertThat(config.foldsToRun(5)).containsExactly(0, 1, 2, 3, 4);
        assertThat(config.data().labelsFile()).isEqualTo(Path.of("../shared/data/cxr/labels.csv"));
        assertThat(config.data().regionsCsv()).isEqualTo(Path.of("../shared/data/cxr/regions.csv"));
        assertThat(config.data().patientColumn()).isEqualTo("patient_id");
        assertThat(config.data().rowFilter()).containsEntry("recommended_main", "1");
        assertThat(config.methods()).containsExactly("baseline", "hkd");
        assertThat(config.train().epochs()).isEqualTo(20);
        // written out and read back (as in study.json: absolute file URIs), the files stay the same files
        StudyConfig again = io.pneuknow.Json.MAPPER.convertValue(io.pneuknow.Json.MAPPER.valueToTree(config), StudyConfig.class);
        assertThat(again.data().labelsFile().normalize()).isEqualTo(config.data().labelsFile().toAbsolutePath().normalize());
        assertThat(again.data().regionsCsv().normalize()).isEqualTo(config.data().regionsCsv().toAbsolutePath().normalize());
    }

    @Test
    void badStudyFilesGetEveryProblemNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("study.json");
        Files.writeString(file, """
                {"data": {"root": "x"}, "folds": 2, "architectures": ["tiny_cnn"], "methods": ["baseline", "magic"],
                 "seeds": [1], "testFolds": [5], "train": null}
                """);
        assertThatThrownBy(() -> StudyConfig.read(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("'train' is missing")
                .hasMessageContaining("folds 2 must be at least 3")
                .hasMessageContaining("method 'magic' is unknown")
                .hasMessageContaining("test fold 5 is outside 0..1");
        assertThat(StudyMethod.parse("hkd-fraction-0.3").annotationFraction()).isEqualTo(0.3);
        assertThat(List.of("baseline", "hkd-raw-teacher", "hkd-shuffled-roi")).allSatisfy(StudyMethod::parse);
    }
}
