package io.pneuknow.model;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * DJL's {@link ai.djl.nn.ParallelBlock}, except that the branches' outputs are closed once the function has combined
 * them ({@link Intermediates}), unless the result or the block's input is one of them (an identity branch). Named as
 * DJL's class on purpose, as {@link SequentialBlock}: parameter names stay those of DJL's ParallelBlock.
 */
public class ParallelBlock extends ai.djl.nn.ParallelBlock {
    private final Function<List<NDList>, NDList> function;

    public ParallelBlock(Function<List<NDList>, NDList> function, List<Block> blocks) {
        super(function, blocks);
        this.function = function;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        List<NDList> outputs = new ArrayList<>();
        for (Block child : children.values()) {
            outputs.add(child.forward(ps, inputs, training, params));
        }
        NDList result = function.apply(outputs);
        for (NDList output : outputs) {
            Intermediates.closeExcept(output, result, inputs);
        }
        return result;
    }
}
