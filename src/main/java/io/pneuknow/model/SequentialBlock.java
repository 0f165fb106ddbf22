package io.pneuknow.model;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * DJL's {@link ai.djl.nn.SequentialBlock}, except that each child's output is closed once the next child has consumed
 * it ({@link Intermediates}): the block's input and its output stay open. Named as DJL's class on purpose: DJL names
 * a child block after its class's simple name, so parameter names and saved parameter files stay those of DJL's
 * SequentialBlock ({@link KeyMapping}).
 */
public class SequentialBlock extends ai.djl.nn.SequentialBlock {

    @Override
    public SequentialBlock add(Block block) {
        super.add(block);
        return this;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (isReturnIntermediate()) {
            return super.forwardInternal(ps, inputs, training, params);
        }
        NDList current = inputs;
        for (Block child : children.values()) {
            NDList next = child.forward(ps, current, training);
            if (current != inputs) {
                Intermediates.closeExcept(current, next, inputs);
            }
            current = next;
        }
        return current;
    }
}
