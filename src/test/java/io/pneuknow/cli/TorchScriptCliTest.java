package io.pneuknow.cli;

import static io.pneuknow.cli.CliTest.cli;
import static io.pneuknow.cli.CliTest.concat;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.TorchScriptBackbone;
import io.pneuknow.model.TorchScriptFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --architecture torchscript --pretrained FILE} on tiny synthetic data, then {@code predict} and
 * {@code evaluate} from the bundle alone. The backbone is a tiny scripted 1-channel CNN written by
 * src/test/python/torchscript_backbone.py; skipped without python3-torch unless
 * -Dpneuknow.requireHeavy=true.
 */
@Tag("heavy")
class TorchScriptCliTest {
    @TempDir
    static Path dir;
    static Path data;
    static Path fixtures;

    @BeforeAll
    static void generate() throws Exception {
        fixtures = TorchScriptFixtures.files();
        data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 8, 3, 4, 0.25, 0.5, 5));
    }

    static String[] train(Path backbone, Path out, String... more) {
        String[] args = {"train", "--data", data.toString(), "--regions", "regions.csv", "--region-type", "lesion",
            "--split-column", "split", "--architecture", "torchscript", "--pretrained", backbone.toString(), "--input-size", "64",
            "--epochs", "1", "--batch-size", "8", "--learning-rate", "1e-2", "--threads", "2", "--out", out.toString()};
        return concat(args, more);
    }

    /** The backbone's parameters of a bundle, or of the file as loaded. */
    static List<float[]> backbone(Path bundleOrFile) {
        if (Files.isDirectory(bundleOrFile)) {
            try (ModelBundle.Loaded model = ModelBundle.load(bundleOrFile)) {
                return model.net().backbone().getParameters().values().stream()
                        .map(p -> p.getArray().toFloatArray()).toList();
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            return TorchScriptBackbone.load(bundleOrFile, 3, 1, 0f, 64, manager).net().backbone().getParameters()
                    .values().stream().map(p -> p.getArray().toFloatArray()).toList();
        }
    }

    static boolean same(List<float[]> a, List<float[]> b) {
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            if (!java.util.Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void trainsTheScriptedBackboneWithHkdAndPredictsFromTheBundleAlone() throws Exception {
        Path backbone = dir.resolve("my-backbone.pt");
        Files.copy(fixtures.resolve("tiny-scripted.pt"), backbone);
        List<float[]> fromFile = backbone(backbone);
        Path out = dir.resolve("run");
        CliTest.Result r = cli(train(backbone, out, "--method", "hkd", "--teacher-epochs", "1", "--kd-epochs", "1"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("teacher/model.params")).exists();
        JsonNode card = Json.MAPPER.readTree(out.resolve("model.json").toFile());
        assertThat(card.get("architecture").asText()).isEqualTo("torchscript");
        assertThat(card.get("pretrained").get("file").asText()).isEqualTo("my-backbone.pt");
        assertThat(card.get("pretrained").get("format").asText()).isEqualTo("torchscript");
        assertThat(card.get("pretrained").get("sha256").asText())
                .isEqualTo(ModelBundle.sha256(Files.readAllBytes(backbone)));
        // fine-tuned: the bundle's backbone is no longer the file's
        assertThat(same(backbone(out), fromFile)).isFalse();

        Files.delete(backbone);
        CliTest.Result p = cli("predict", "--model", out.toString(), data.resolve("images/syn_00000.png").toString(),
                data.resolve("images/syn_00001.png").toString());
        assertThat(p.code()).as(p.err()).isZero();
        List<String> lines = p.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("image,label,p_cavity,p_healthy,p_opacity");
        assertThat(lines).hasSize(3);
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            double sum = Double.parseDouble(cells[2]) + Double.parseDouble(cells[3]) + Double.parseDouble(cells[4]);
            assertThat(sum).isBetween(0.998, 1.002);
        }
        // evaluate, heat maps (Grad-CAM on the module's feature map) included
        CliTest.Result e = cli("evaluate", "--model", out.toString(), "--replicates", "50", "--out",
                dir.resolve("eval").toString());
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(dir.resolve("eval/report.html")).exists();
    }

    @Test
    void aFrozenBackboneStaysTheFilesAndMistakesAreOneLine() throws Exception {
        Path backbone = fixtures.resolve("tiny-scripted.pt");
        Path out = dir.resolve("frozen");
        CliTest.Result r = cli(train(backbone, out, "--freeze-backbone-epochs", "1"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(same(backbone(out), backbone(backbone))).isTrue();

        CliTest.Result noFile = cli("train", "--data", data.toString(), "--split-column", "split", "--architecture",
                "torchscript", "--input-size", "64", "--out", dir.resolve("no-file").toString());
        assertThat(noFile.code()).isEqualTo(1);
        assertThat(noFile.err().strip().lines()).hasSize(1);
        assertThat(noFile.err()).contains("train.model.architecture torchscript: needs --pretrained FILE");

        CliTest.Result notAFeatureMap = cli(train(fixtures.resolve("pooled-scripted.pt"), dir.resolve("pooled")));
        assertThat(notAFeatureMap.code()).isEqualTo(1);
        assertThat(notAFeatureMap.err().strip().lines()).hasSize(1);
        assertThat(notAFeatureMap.err()).contains("pooled-scripted.pt").contains("not a 4-D feature map");
    }
}
