package io.pneuknow.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pneuknow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainImagesTest {
    @TempDir
    Path dir;

    private static void write(Path file, String content) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Test
    void aFolderIsListedRecursivelySortedWithoutHiddenOrOtherFiles() throws Exception {
        Path root = dir.resolve("a");
        write(root.resolve("z.png"), "1");
        write(root.resolve("sub/b.JPG"), "2");
        write(root.resolve("sub/c.jpeg"), "3");
        write(root.resolve("notes.txt"), "x");
        write(root.resolve(".hidden/d.png"), "4");
        write(root.resolve(".e.png"), "5");
        PretrainImages images = PretrainImages.folder(root);
        assertThat(images.listing()).isEqualTo("sub/b.JPG\nsub/c.jpeg\nz.png\n");
        assertThat(images.size()).isEqualTo(3);
        assertThat(images.description()).startsWith("3 PNG/JPEG files under");
    }

    @Test
    void theFingerprintFollowsNamesAndContentNotLocation() throws Exception {
        for (String name : List.of("a", "b")) {
            write(dir.resolve(name + "/x.png"), "1");
            write(dir.resolve(name + "/y/z.png"), "2");
        }
        String a = PretrainImages.folder(dir.resolve("a")).fingerprint();
        assertThat(a).hasSize(64).isEqualTo(PretrainImages.folder(dir.resolve("b")).fingerprint());
        write(dir.resolve("b/y/z.png"), "3");
        assertThat(PretrainImages.folder(dir.resolve("b")).fingerprint()).isNotEqualTo(a);
        Files.move(dir.resolve("b/y/z.png"), dir.resolve("b/y/w.png"));
        write(dir.resolve("b/y/w.png"), "2");
        assertThat(PretrainImages.folder(dir.resolve("b")).fingerprint()).isNotEqualTo(a);
    }

    @Test
    void anEmptyOrMissingFolderIsBadInput() throws Exception {
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> PretrainImages.folder(dir.resolve("empty")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("no .png, .jpg or .jpeg files");
        assertThatThrownBy(() -> PretrainImages.folder(dir.resolve("missing")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("image folder not found");
    }
}
