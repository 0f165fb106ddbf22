package io.pneuknow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.data.SyntheticTaskList;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code data synthetic --task-list}: every task into OUT/NAME, content hashes checked; {@code --shortcut} for one task. */
class SyntheticTaskListCliTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private Path list(String firstHash) throws Exception {
        return Files.writeString(dir.resolve("list.json"), """
                {"name": "mini", "purpose": "test", "tasks": [
                  {"name": "text-3", "shortcut": "text", "lesionVariety": true, "imageSize": 32, "train": 2, "val": 1,
                   "test": 3, "unannotatedFraction": 0.0, "cueLevel": 0.9, "seed": 3%s},
                  {"name": "border-4", "shortcut": "border", "lesionVariety": false, "imageSize": 40, "train": 1, "val": 1,
                   "test": 1, "unannotatedFraction": 0.0, "cueLevel": 0.5, "seed": 4}
                ]}
                """.formatted(firstHash == null ? "" : ", \"contentSha256\": \"" + firstHash + "\""));
    }

    @Test
    void writesEveryTaskOfTheListIntoAFolderOfItsOwn() throws Exception {
        int code = run("data", "synthetic", "--task-list", list(null).toString(), "--out", dir.resolve("tasks").toString());

        assertThat(code).as(err.toString()).isZero();
        // 3 classes x (2 + 1 + 3) and 3 x (1 + 1 + 1) images, one labels row each
        assertThat(Files.readAllLines(dir.resolve("tasks/text-3/labels.csv"))).hasSize(1 + 18);
        assertThat(Files.readAllLines(dir.resolve("tasks/border-4/labels.csv"))).hasSize(1 + 9);
        try (var images = Files.list(dir.resolve("tasks/border-4/images"))) {
            assertThat(images.count()).isEqualTo(9);
        }
        String hash = SyntheticTaskList.contentHash(dir.resolve("tasks/text-3"));
        assertThat(out.toString()).contains("wrote 18 images to " + dir.resolve("tasks/text-3") + " (text, seed 3; content sha256 " + hash + ")")
                .contains("wrote 9 images to " + dir.resolve("tasks/border-4"))
                .contains("wrote 2 tasks of list 'mini'");
        // the same list again gives the same content: a list holding that hash is written and says so
        out.getBuffer().setLength(0);
        assertThat(run("data", "synthetic", "--task-list", list(hash).toString(), "--out", dir.resolve("again").toString())).isZero();
        assertThat(out.toString()).contains("content sha256 " + hash + ", as the list says)");
    }

    @Test
    void refusesATaskWhoseContentDiffersFromItsHash() throws Exception {
        String wrong = "0".repeat(64);

        int code = run("data", "synthetic", "--task-list", list(wrong).toString(), "--out", dir.resolve("tasks").toString());

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("task 'text-3' of list 'mini': generated content sha256")
                .contains("differs from the list's " + wrong);
    }

    @Test
    void refusesPerTaskOptionsBesideATaskListAndUnknownKinds() throws Exception {
        assertThat(run("data", "synthetic", "--task-list", list(null).toString(), "--out", dir.resolve("t").toString(),
                "--seed", "5", "--lesion-variety")).isEqualTo(1);
        assertThat(err.toString()).contains("remove --seed, --lesion-variety");
        assertThat(Files.exists(dir.resolve("t"))).isFalse();

        assertThat(run("data", "synthetic", "--shortcut", "watermark", "--out", dir.resolve("w").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("shortcut kind 'watermark' is not known; use one of marker|text|laterality-tag|border|"
                + "corner-pattern|texture-outside-lungs|brightness-outside-lungs");
    }

    @Test
    void refusesATaskThatLeavesOutAField() throws Exception {
        Path list = Files.writeString(dir.resolve("short.json"), """
                {"name": "short", "purpose": "test", "tasks": [
                  {"name": "text-3", "shortcut": "text", "lesionVariety": true, "imageSize": 32, "train": 2, "val": 1,
                   "test": 3, "seed": 3}
                ]}
                """);

        assertThat(run("data", "synthetic", "--task-list", list.toString(), "--out", dir.resolve("t").toString())).isEqualTo(1);
        assertThat(err.toString()).contains(list + ": task 1 'text-3': missing unannotatedFraction, cueLevel; give every field");
    }

    @Test
    void oneTaskWithAShortcutKind() throws Exception {
        int code = run("data", "synthetic", "--shortcut", "laterality-tag", "--lesion-variety", "--image-size", "32",
                "--train", "1", "--val", "1", "--test", "3", "--out", dir.resolve("tag").toString());

        assertThat(code).as(err.toString()).isZero();
        // test cues balanced: each class once with each cue class, so 3 of 9 test rows agree
        long agreeing = Files.readAllLines(dir.resolve("tag/labels.csv")).stream()
                .filter(l -> l.contains(",test,") && l.endsWith(",1")).count();
        assertThat(agreeing).isEqualTo(3);
    }
}
