package io.pneuknow.explain;

/**
 * Where the cells of a feature map sit on the network's input (square, {@code inputSize} px):
 * cell j's centre is at {@code offset + stride * j} input pixels (the same along both axes).
 */
public record CellGeometry(double stride, double offset) {
    /** OpenCV's aligned upsampling: cell j drawn at the middle of the block [s j, s j + s). */
    static CellGeometry aligned(double stride) {
        return new CellGeometry(stride, (stride - 1) / 2);
    }
}
