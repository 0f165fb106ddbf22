package io.pneuknow.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.ShortcutKind;
import io.pneuknow.data.SyntheticTaskList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed shortcut task lists (docs/examples/shortcut-tasks): the frozen evaluation set and the
 * tuning tasks share no shortcut kind, each has its study files, and the frozen tasks still generate
 * the very data they were committed with.
 */
class ShortcutTaskStudiesTest {
    static final Path TASKS = Path.of("docs/examples/shortcut-tasks");

    @Test
    void theFrozenSetHasFourKindsWithTwoDrawsEachAndTheTuningTasksOtherKinds() {
        SyntheticTaskList frozen = SyntheticTaskList.read(TASKS.resolve("frozen.json"));
        SyntheticTaskList tuning = SyntheticTaskList.read(TASKS.resolve("tuning.json"));

        Map<String, Set<Long>> frozenSeeds = seedsByKind(frozen);
        Map<String, Set<Long>> tuningSeeds = seedsByKind(tuning);
        assertThat(frozenSeeds.keySet()).containsExactlyInAnyOrder("text", "border", "texture-outside-lungs", "laterality-tag");
        assertThat(frozenSeeds.values()).allSatisfy(seeds -> assertThat(seeds).hasSize(2));
        assertThat(tuningSeeds.keySet()).containsExactlyInAnyOrder("marker", "corner-pattern", "brightness-outside-lungs");
        assertThat(tuningSeeds.values()).allSatisfy(seeds -> assertThat(seeds).hasSize(2));
        assertThat(frozenSeeds.keySet()).doesNotContainAnyElementsOf(tuningSeeds.keySet());
        // together the two lists use every kind there is
        assertThat(frozenSeeds.size() + tuningSeeds.size()).isEqualTo(ShortcutKind.values().length);
        for (SyntheticTaskList list : List.of(frozen, tuning)) {
            assertThat(list.tasks()).allSatisfy(t -> {
                assertThat(t.imageSize()).isEqualTo(128);
                assertThat(t.lesionVariety()).isTrue();
                assertThat(List.of(t.train(), t.val(), t.test())).containsExactly(80, 20, 60);
                assertThat(t.contentSha256()).hasSize(64);
            });
        }
    }

    @Test
    void everyTaskHasAStudyFileReadingItsData() {
        for (String name : List.of("frozen", "tuning")) {
            SyntheticTaskList list = SyntheticTaskList.read(TASKS.resolve(name + ".json"));
            try (var files = Files.list(TASKS.resolve("studies").resolve(name))) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .containsExactlyInAnyOrderElementsOf(list.tasks().stream().map(t -> t.name() + ".json").toList());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            for (SyntheticTaskList.Task task : list.tasks()) {
                StudyConfig study = StudyConfig.read(TASKS.resolve("studies").resolve(name).resolve(task.name() + ".json"));
                assertThat(study.data().root()).isEqualTo(Path.of("../shortcut-tasks", name, task.name()));
                assertThat(study.data().splitColumn()).isEqualTo("split");
                assertThat(study.data().regionTypes()).containsExactly("lesion");
                assertThat(study.methods()).containsExactly("baseline", "hkd", "hkd-shuffled-roi");
                assertThat(study.seeds()).hasSize(name.equals("frozen") ? 5 : 3);
                assertThat(study.train().model().inputSize()).isEqualTo(task.imageSize());
            }
        }
    }

    /**
     * The confirmation studies (written before any confirmation cell ran): every frozen task, its data and recipe as
     * the frozen study file has them, 5 seeds, the reference's HKD and attention transfer each with its control.
     */
    @Test
    void theConfirmationStudiesRunTheFrozenRecipeWithBothSettingsAndTheirControls() {
        SyntheticTaskList frozen = SyntheticTaskList.read(TASKS.resolve("frozen.json"));
        for (SyntheticTaskList.Task task : frozen.tasks()) {
            StudyConfig plain = StudyConfig.read(TASKS.resolve("studies/frozen").resolve(task.name() + ".json"));
            StudyConfig study = StudyConfig.read(TASKS.resolve("studies/confirmation").resolve(task.name() + ".json"));
            assertThat(study.data()).isEqualTo(plain.data());
            assertThat(study.train()).isEqualTo(plain.train());
            assertThat(study.seeds()).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(study.methods()).containsExactly("baseline", "hkd", "hkd-shuffled-roi", "hkd+attention",
                    "hkd-shuffled-roi+attention");
        }
    }

    /** Regenerates every frozen task; {@link SyntheticTaskList#generate} refuses one whose content hash moved. */
    @Test
    void theFrozenTasksStillGenerateTheirCommittedContent(@TempDir Path dir) {
        SyntheticTaskList frozen = SyntheticTaskList.read(TASKS.resolve("frozen.json"));

        List<SyntheticTaskList.Written> written = frozen.generate(dir);

        assertThat(written).hasSize(8).allSatisfy(w -> {
            assertThat(w.contentSha256()).isEqualTo(w.task().contentSha256());
            assertThat(w.images()).isEqualTo(480);
        });
    }

    private static Map<String, Set<Long>> seedsByKind(SyntheticTaskList list) {
        return list.tasks().stream().collect(Collectors.groupingBy(SyntheticTaskList.Task::shortcut,
                Collectors.mapping(SyntheticTaskList.Task::seed, Collectors.toSet())));
    }
}
