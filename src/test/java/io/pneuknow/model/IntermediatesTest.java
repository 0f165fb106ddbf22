package io.pneuknow.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Our SequentialBlock and ParallelBlock close intermediate outputs once consumed (issue 21, item 3): which arrays
 * they close, and that a training step through them gives the same outputs and gradients, bit for bit, as DJL's
 * blocks with the same children and weights.
 */
class IntermediatesTest {

    @Test
    void aSequenceClosesEachIntermediateOnceTheNextChildHasReadItAndKeepsItsInputAndOutput() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> seen = new ArrayList<>();
            Function<NDList, NDList> plusOne = in -> remember(seen, in.singletonOrThrow().add(1));
            Function<NDList, NDList> timesTwo = in -> remember(seen, in.singletonOrThrow().mul(2));
            SequentialBlock sequence = new SequentialBlock().add(new LambdaBlock(plusOne))
                    .add(Blocks.identityBlock()).add(new LambdaBlock(timesTwo)).add(new LambdaBlock(plusOne));
            NDArray x = manager.create(new float[] {1, 2});
            NDArray y = sequence.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
            // x + 1 = (2, 3), passed through the identity, then (4, 6), then (5, 7)
            assertThat(y.toFloatArray()).containsExactly(5f, 7f);
            assertThat(seen).hasSize(3);
            assertThat(seen.get(0).isReleased()).as("x + 1, read by the identity and then by x 2").isTrue();
            assertThat(seen.get(1).isReleased()).as("(x + 1) x 2").isTrue();
            assertThat(seen.get(2)).isSameAs(y);
            assertThat(y.isReleased()).isFalse();
            assertThat(x.isReleased()).as("the block's input belongs to the caller").isFalse();
        }
    }

    @Test
    void aParallelBlockClosesItsBranchesOutputsButNotAnIdentityBranchWhichIsItsInput() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> seen = new ArrayList<>();
            Block doubled = new LambdaBlock(in -> remember(seen, in.singletonOrThrow().mul(2)));
            ParallelBlock sum = new ParallelBlock(b -> new NDList(b.get(0).singletonOrThrow().add(b.get(1).singletonOrThrow())),
                    List.of(doubled, Blocks.identityBlock()));
            NDArray x = manager.create(new float[] {1, 2});
            NDArray y = sum.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
            assertThat(y.toFloatArray()).containsExactly(3f, 6f);
            assertThat(seen.get(0).isReleased()).as("the doubled branch's output").isTrue();
            assertThat(x.isReleased()).as("the identity branch's output is the input").isFalse();
            assertThat(y.isReleased()).isFalse();
        }
    }

    @Test
    void aTrainingStepThroughOurBlocksGivesDjlsOutputsAndGradientsBitForBit() {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            // a residual stage as in ResNet: relu(bn(conv(relu(bn(conv(x))))) + x), then a strided conv and BN;
            // the same child blocks (so the same weights) in our containers and in DJL's
            List<Block> convs = List.of(ResNet.conv(4, 3, 1), ResNet.batchNorm(), Activation.reluBlock(),
                    ResNet.conv(4, 3, 1), ResNet.batchNorm());
            List<Block> tail = List.of(ResNet.conv(8, 3, 2), ResNet.batchNorm(), Activation.reluBlock());
            Function<List<NDList>, NDList> residual = b -> new NDList(Activation.relu(
                    b.get(0).singletonOrThrow().add(b.get(1).singletonOrThrow())));
            SequentialBlock ours = new SequentialBlock()
                    .add(new ParallelBlock(residual, List.of(new SequentialBlock().addAll(convs), Blocks.identityBlock())))
                    .add(new SequentialBlock().addAll(tail));
            ai.djl.nn.SequentialBlock djls = new ai.djl.nn.SequentialBlock()
                    .add(new ai.djl.nn.ParallelBlock(residual,
                            List.of(new ai.djl.nn.SequentialBlock().addAll(convs), Blocks.identityBlock())))
                    .add(new ai.djl.nn.SequentialBlock().addAll(tail));
            ours.setInitializer(new NormalInitializer(0.1f), Parameter.Type.WEIGHT);
            ours.initialize(manager, DataType.FLOAT32, new Shape(2, 4, 8, 8));
            NDArray x = manager.randomNormal(new Shape(2, 4, 8, 8));

            Step a = step(ours, manager, x);
            Step b = step(djls, manager, x);
            assertThat(a.output()).containsExactly(b.output());
            assertThat(a.gradients()).hasSize(b.gradients().size()).hasSize(9);
            for (int i = 0; i < a.gradients().size(); i++) {
                assertThat(a.gradients().get(i)).as("gradient %d", i).containsExactly(b.gradients().get(i));
            }
            assertThat(a.gradients().get(0)).as("the first convolution's gradient").isNotEqualTo(new float[36 * 4]);
        }
    }

    private record Step(float[] output, List<float[]> gradients) {
    }

    /** One training-mode forward and backward of sum(output^2): the output and every parameter's gradient. */
    private static Step step(Block net, NDManager manager, NDArray x) {
        try (NDManager batch = manager.newSubManager()) {
            Gradients.zero(net);
            float[] output;
            try (GradientCollector tape = Engine.getInstance().newGradientCollector()) {
                NDArray y = net.forward(new ParameterStore(batch, false), new NDList(x), true).singletonOrThrow();
                output = y.toFloatArray();
                tape.backward(y.square().sum());
            }
            List<float[]> gradients = new ArrayList<>();
            for (Pair<String, Parameter> p : net.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    try (NDArray g = p.getValue().getArray().getGradient()) {
                        gradients.add(g.toFloatArray());
                    }
                }
            }
            return new Step(output, gradients);
        }
    }

    private static NDList remember(List<NDArray> seen, NDArray array) {
        seen.add(array);
        return new NDList(array);
    }
}
