package io.pneuknow.data;

/** An axis-aligned box in pixel coordinates of the stored image; (x, y) is the top-left corner. */
public record Box(int x, int y, int width, int height) {
    public int right() {
        return x + width;
    }

    public int bottom() {
        return y + height;
    }
}
