package io.pneuknow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * Closes the intermediate outputs of a forward pass as soon as they are consumed (issue 21, item 3).
 *
 * <p>Every array an operation returns stays open until its manager closes (in training, at the end of the step), while
 * PyTorch frees a tensor once nothing refers to it. Closing an array here drops only our reference: the autograd graph
 * holds its own reference to every tensor the backward pass needs and frees it during backward, as PyTorch does; a
 * tensor nothing else needs (a BatchNorm output once ReLU has read it, a residual sum) is freed at once. Values are
 * unchanged: the same operations run on the same tensors.
 */
final class Intermediates {
    private Intermediates() {
    }

    /** Closes every array of {@code consumed} that is not (the same object as) an array of one of {@code keep}. */
    static void closeExcept(NDList consumed, NDList... keep) {
        for (NDArray array : consumed) {
            if (!in(array, keep)) {
                array.close();
            }
        }
    }

    private static boolean in(NDArray array, NDList... lists) {
        for (NDList list : lists) {
            for (NDArray other : list) {
                if (other == array) {
                    return true;
                }
            }
        }
        return false;
    }
}
