package io.pneuknow.transform;

import io.pneuknow.image.GreyImage;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;

/** Package-private bridge between {@link GreyImage} and OpenCV {@code CV_32FC1} Mats; loads OpenCV once. */
final class Cv {
    static {
        nu.pattern.OpenCV.loadLocally();
    }

    private Cv() {
    }

    /** Makes sure the native library is loaded (touching this class runs the static initialiser). */
    static void load() {
        // the static initialiser does the work
    }

    /** A new CV_32FC1 Mat holding a copy of the image's pixels; the caller releases it. */
    static Mat toMat(GreyImage image) {
        Mat mat = new Mat(image.height(), image.width(), CvType.CV_32FC1);
        mat.put(0, 0, image.pixels());
        return mat;
    }

    /** Copies a CV_32FC1 Mat into a new GreyImage (the Mat is not released). */
    static GreyImage toGrey(Mat mat) {
        if (mat.type() != CvType.CV_32FC1) {
            throw new IllegalArgumentException("expected CV_32FC1, got " + CvType.typeToString(mat.type()));
        }
        Mat dense = mat.isContinuous() ? mat : mat.clone();
        try {
            float[] pixels = new float[mat.rows() * mat.cols()];
            dense.get(0, 0, pixels);
            return new GreyImage(mat.cols(), mat.rows(), pixels);
        } finally {
            if (dense != mat) {
                dense.release();
            }
        }
    }

    /** Clamps a CV_32FC1 Mat to [0, 1] in place. */
    static void clip01(Mat mat) {
        Core.min(mat, new org.opencv.core.Scalar(1.0), mat);
        Core.max(mat, new org.opencv.core.Scalar(0.0), mat);
    }

    /** Releases every non-null Mat. */
    static void release(Mat... mats) {
        for (Mat m : mats) {
            if (m != null) {
                m.release();
            }
        }
    }
}
