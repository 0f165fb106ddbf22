package io.pneuknow.pretrain;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.pneuknow.cli.Main;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.BackboneCard;
import io.pneuknow.model.BackboneFile;
import io.pneuknow.model.ClassifierNet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pneuknow pretrain} end to end on tiny synthetic data: both objectives, the probe, and bad input. */
class PretrainCommandTest {
    @TempDir
    static Path dir;
    static Path data;

    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void generate() {
        data = SyntheticChestXrays.generate(dir.resolve("data"), new SyntheticChestXrays.Spec(64, 10, 4, 2, 0, 0.5, 8));
    }

    @Test
    void contrastiveOnASubsetWithTheProbeThenSupervisedTransfer() throws Exception {
        Path contrastive = dir.resolve("contrastive");
        Result r = cli("pretrain", "--data", data.toString(), "--where", "split=train", "--architecture", "tiny_cnn",
                "--input-size", "64", "--epochs", "2", "--batch-size", "15", "--threads", "2", "--knn-probe",
                "--out", contrastive.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("pretraining on 30 images of").contains("where split = train")
                .contains("contrastive backbone (tiny_cnn, 1 ch, 64 px");
        BackboneCard card = BackboneFile.readCard(contrastive);
        assertThat(card.images()).isEqualTo(30);
        assertThat(card.dataFingerprint()).hasSize(64);
        assertThat(card.command()).startsWith("pneuknow pretrain --data");
        assertThat(card.probe().get("pretrained").get("accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(card.probe().get("randomInit").get("balancedAccuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(Files.readString(contrastive.resolve(BackboneFile.IMAGES))).doesNotContain("syn_000" + "30");

        Path supervised = dir.resolve("supervised");
        r = cli("pretrain", "--objective", "supervised", "--data", data.toString(), "--split-column", "split",
                "--architecture", "tiny_cnn", "--input-size", "64", "--epochs", "1", "--batch-size", "16", "--threads", "2",
                "--out", supervised.toString());
        assertThat(r.code()).as(r.err()).isZero();
        card = BackboneFile.readCard(supervised);
        assertThat(card.objective()).isEqualTo("supervised");
        // train (30) and val (12) images; the 6 test images are not trained on
        assertThat(card.images()).isEqualTo(42);
        assertThat(card.settings().get("classes").toString()).contains("opacity");
        assertThat(supervised.resolve("supervised/model.json")).exists();
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierNet net = Architectures.initialize(Architecture.tiny_cnn.build(2, 1, 0f), manager, 96);
            assertThat(BackboneFile.loadInto(net, "tiny_cnn", supervised).weightsSha256()).isEqualTo(card.weightsSha256());
        }
    }

    @Test
    void badInputIsOneLineAndExitCodeOne() throws Exception {
        Path images = data.resolve("images");
        String out = dir.resolve("bad").toString();
        Result both = cli("pretrain", "--images", images.toString(), "--data", data.toString(), "--out", out);
        assertThat(both.code()).isEqualTo(1);
        assertThat(both.err()).contains("--images and --data both given").doesNotContain("Exception");
        assertThat(cli("pretrain", "--out", out).err()).contains("no images given");
        assertThat(cli("pretrain", "--images", images.toString(), "--objective", "masked", "--out", out).err())
                .contains("--objective 'masked' is unknown");
        assertThat(cli("pretrain", "--images", images.toString(), "--objective", "supervised", "--out", out).err())
                .contains("needs labels");
        Result arch = cli("pretrain", "--images", images.toString(), "--architecture", "vgg", "--out", out);
        assertThat(arch.code()).isEqualTo(1);
        assertThat(arch.err()).contains("unknown architecture 'vgg'");
        assertThat(cli("pretrain", "--data", data.toString(), "--split-column", "split", "--out", out).err())
                .contains("split options apply to --objective supervised only");
        assertThat(cli("pretrain", "--images", images.toString(), "--resume", "--out", out).err())
                .contains("nothing to resume");
    }
}
