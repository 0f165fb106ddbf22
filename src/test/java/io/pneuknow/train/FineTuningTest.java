package io.pneuknow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.model.Architecture;
import io.pneuknow.model.Architectures;
import io.pneuknow.model.BackboneCard;
import io.pneuknow.model.BackboneFile;
import io.pneuknow.model.ClassifierNet;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.transform.Preprocessor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training from a pretrained backbone: the weights are loaded and recorded, a frozen backbone (and
 * its BatchNorm statistics) stays exactly as loaded while the head learns, and thaws after the
 * frozen epochs; a backbone learning rate of 0 keeps the weights but not the statistics.
 * tiny_cnn at 64 px on 24 synthetic images: a few seconds.
 */
class FineTuningTest {
    private static final long SEED = 3;
    @TempDir
    Path dir;
    private NDManager manager;
    private final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static TrainConfig config(int epochs, String pretrained, int freeze, Double backboneLearningRate) {
        return TrainConfig.builder().architecture("tiny_cnn").inputSize(64).dropout(0f).epochs(epochs).teacherEpochs(1)
                .kdEpochs(0).learningRate(4e-3f).augment("weak").seed(SEED).threads(2).pretrained(pretrained)
                .freezeBackboneEpochs(freeze).backboneLearningRate(backboneLearningRate).build();
    }

    /** A pretrained tiny_cnn backbone (BatchNorm statistics moved off their initial values), saved as pretrain does. */
    private Path savedBackbone() throws Exception {
        Engine.getInstance().setRandomSeed(77);
        ClassifierNet source = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, 64);
        source.features(new ParameterStore(manager, false), manager.randomUniform(0, 3, new Shape(8, 1, 64, 64)), true);
        BackboneCard card = new BackboneCard(BackboneCard.FORMAT, "", "", "", "tiny_cnn", 1, 64, 128, 0,
                Preprocessor.defaults(64, 1), "contrastive", Json.MAPPER.createObjectNode(), 1, 8, "abc",
                BackboneFile.IMAGES, "test", null, List.of(), null, 1, 1, Map.of(), 1.0, "now", "test");
        Path backbone = dir.resolve("backbone");
        BackboneFile.save(backbone, source, card, "");
        return backbone;
    }

    private ModelCard train(TrainConfig config, String name) throws Exception {
        Path data = dir.resolve("data");
        if (!data.toFile().exists()) {
            SyntheticChestXrays.generate(data, new SyntheticChestXrays.Spec(64, 8, 4, 0, 0,
                    SyntheticChestXrays.Spec.CUE_LEVEL, 1));
        }
        Dataset dataset = DatasetLoader.load(DataSpec.of(data).withRegionsCsv(Path.of("regions.csv"))
                .withRegionTypes("lesion"));
        Split split = Split.fromColumn(dataset, "split");
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN),
                split.samples(dataset, Split.VAL), List.of());
        return new TrainRun(config, quiet).run(dataset, parts,
                new TrainRun.Provenance(null, "synthetic", "synthetic", "test"), dir.resolve(name), false).model();
    }

    /** Whether every parameter of {@code a} (those requiring gradients, or the others) equals {@code b}'s. */
    private static boolean same(Block a, Block b, boolean trainable) {
        ParameterList pa = a.getParameters();
        ParameterList pb = b.getParameters();
        assertThat(pa.size()).isEqualTo(pb.size());
        boolean equal = true;
        int compared = 0;
        for (int i = 0; i < pa.size(); i++) {
            if (pa.valueAt(i).requiresGradient() == trainable) {
                NDArray x = pa.valueAt(i).getArray();
                equal &= x.contentEquals(pb.valueAt(i).getArray());
                compared++;
            }
        }
        assertThat(compared).as("parameters compared").isPositive();
        return equal;
    }

    /** The pretrained backbone as a training run loads it. */
    private ClassifierNet pretrained(Path backbone) {
        ClassifierNet net = Architectures.initialize(Architecture.tiny_cnn.build(3, 1, 0f), manager, 64);
        BackboneFile.loadInto(net, backbone);
        return net;
    }

    /** The head a baseline run starts from: its stage's seeded initialisation. */
    private ClassifierNet initialHead() {
        ClassifierNet net = Architecture.tiny_cnn.build(3, 1, 0f);
        Engine.getInstance().setRandomSeed((int) Schedules.mix(SEED, 0, 99));
        return Architectures.initialize(net, manager, 64);
    }

    @Test
    void aFrozenBackboneStaysAsLoadedStatisticsIncludedWhileTheHeadLearns() throws Exception {
        Path backbone = savedBackbone();
        ClassifierNet loaded = pretrained(backbone);
        ModelCard card = train(config(2, backbone.toString(), 2, null), "frozen");
        assertThat(card.pretrained().sha256()).isEqualTo(BackboneFile.readCard(backbone).weightsSha256());
        assertThat(card.pretrained().file()).isEqualTo("backbone/" + BackboneFile.WEIGHTS);
        assertThat(card.pretrained().format()).isEqualTo("pneuknow-backbone (contrastive)");
        assertThat(ModelBundle.readCard(dir.resolve("frozen")).pretrained()).isEqualTo(card.pretrained());
        try (ModelBundle.Loaded model = ModelBundle.load(dir.resolve("frozen"))) {
            assertThat(same(model.net().backbone(), loaded.backbone(), true)).as("backbone weights").isTrue();
            assertThat(same(model.net().backbone(), loaded.backbone(), false)).as("BatchNorm statistics").isTrue();
            assertThat(same(model.net().head(), initialHead().head(), true)).as("head unchanged").isFalse();
        }
    }

    @Test
    void theBackboneThawsAfterTheFrozenEpochs() throws Exception {
        Path backbone = savedBackbone();
        train(config(2, backbone.toString(), 1, null), "thawed");
        try (ModelBundle.Loaded model = ModelBundle.load(dir.resolve("thawed"))) {
            assertThat(same(model.net().backbone(), pretrained(backbone).backbone(), true)).isFalse();
        }
    }

    @Test
    void aBackboneLearningRateOfZeroKeepsTheWeightsButBatchNormStillLearnsItsStatistics() throws Exception {
        Path backbone = savedBackbone();
        ModelCard card = train(config(1, backbone.toString(), 0, 0.0), "rate0");
        assertThat(card.configuration()).isNull();
        try (ModelBundle.Loaded model = ModelBundle.load(dir.resolve("rate0"))) {
            ClassifierNet loaded = pretrained(backbone);
            assertThat(same(model.net().backbone(), loaded.backbone(), true)).isTrue();
            assertThat(same(model.net().backbone(), loaded.backbone(), false)).isFalse();
        }
    }

    @Test
    void withoutPretrainedWeightsNothingIsRecordedAndAMissingFileIsABadInput() throws Exception {
        assertThat(train(config(1, null, 0, null), "plain").pretrained()).isNull();
        assertThatThrownBy(() -> config(1, dir.resolve("nowhere").toString(), 0, null).validated())
                .isInstanceOf(BadInputException.class).hasMessageContaining("nowhere")
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> train(config(1, dir.resolve("data/labels.csv").toString(), 0, null), "odd"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("not pretrained weights");
    }
}
