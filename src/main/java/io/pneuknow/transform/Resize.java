package io.pneuknow.transform;

import io.pneuknow.image.GreyImage;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Resizes images and masks on float pixels (no 8-bit rounding). Images use area interpolation when
 * neither side grows, linear otherwise; masks use the same interpolation and are then thresholded at
 * 0.5, so they stay strictly 0/1 and follow their image.
 */
public final class Resize {
    static {
        Cv.load();
    }

    private Resize() {
    }

    /** The image at {@code width x height}: area interpolation when shrinking, linear when enlarging; values in [0, 1]. */
    public static GreyImage to(GreyImage image, int width, int height) {
        if (width == image.width() && height == image.height()) {
            return new GreyImage(width, height, image.pixels().clone());
        }
        Mat src = Cv.toMat(image);
        Mat dst = resized(src, width, height);
        try {
            Cv.clip01(dst);
            return Cv.toGrey(dst);
        } finally {
            Cv.release(src, dst);
        }
    }

    /** The mask at {@code width x height}, strictly 0/1: interpolated as {@link #to} does, then 1 where >= 0.5. */
    public static GreyImage maskTo(GreyImage mask, int width, int height) {
        Mat src = Cv.toMat(mask);
        Mat dst = width == mask.width() && height == mask.height() ? src.clone() : resized(src, width, height);
        Mat inside = new Mat();
        Mat out = new Mat();
        try {
            Core.compare(dst, new Scalar(0.5), inside, Core.CMP_GE);
            inside.convertTo(out, CvType.CV_32FC1, 1.0 / 255.0);
            return Cv.toGrey(out);
        } finally {
            Cv.release(src, dst, inside, out);
        }
    }

    private static Mat resized(Mat src, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("bad target size " + width + "x" + height);
        }
        boolean shrinking = width <= src.cols() && height <= src.rows();
        Mat dst = new Mat();
        Imgproc.resize(src, dst, new Size(width, height), 0, 0,
                shrinking ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR);
        return dst;
    }
}
