package io.pneuknow.transform;

import io.pneuknow.BadInputException;
import io.pneuknow.data.Box;
import io.pneuknow.data.Region;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import java.nio.file.Path;
import java.util.function.Function;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Builds a sample's ROI mask (1 inside any expert region, 0 outside) and applies it, giving the "ROI
 * image" of the paper (same X-ray, everything outside the annotated regions black).
 *
 * <p>Margins: a box grows by {@code marginPx} on every side (clipped to the image); a mask is dilated
 * with a square (MORPH_RECT) kernel of side {@code 2 * marginPx + 1}, so a rectangular mask and the
 * equivalent box give the same pixels.
 */
public final class RoiMask {
    static {
        Cv.load();
    }

    private RoiMask() {
    }

    /** The union of the sample's regions at the stored image size, using mask files where regions have them. */
    public static GreyImage build(Sample sample, int width, int height, int marginPx,
                                  Function<Path, GreyImage> maskReader) {
        return build(sample, width, height, marginPx, RoiShape.MASK, maskReader);
    }

    /** The union of the sample's regions at the stored image size, each drawn as {@code shape} says. */
    public static GreyImage build(Sample sample, int width, int height, int marginPx, RoiShape shape,
                                  Function<Path, GreyImage> maskReader) {
        if (width <= 0 || height <= 0 || marginPx < 0) {
            throw new IllegalArgumentException("bad size " + width + "x" + height + " or margin " + marginPx);
        }
        Mat union = Mat.zeros(height, width, CvType.CV_8UC1);
        Mat result = new Mat();
        try {
            for (Region region : sample.regions()) {
                boolean useMask = region.maskFile() != null && (shape == RoiShape.MASK || region.box() == null);
                if (useMask) {
                    addMask(union, region, shape, width, height, marginPx, maskReader);
                } else {
                    Box b = region.box();
                    addRect(union, new Rect(b.x(), b.y(), b.width(), b.height()), marginPx);
                }
            }
            union.convertTo(result, CvType.CV_32FC1, 1.0 / 255.0);
            return Cv.toGrey(result);
        } finally {
            Cv.release(union, result);
        }
    }

    /** The ROI image: a copy of {@code image} with every pixel where the mask is 0 set to 0. */
    public static GreyImage apply(GreyImage image, GreyImage mask) {
        if (image.width() != mask.width() || image.height() != mask.height()) {
            throw new IllegalArgumentException("image " + image.width() + "x" + image.height()
                    + " and mask " + mask.width() + "x" + mask.height() + " differ in size");
        }
        Mat img = Cv.toMat(image);
        Mat msk = Cv.toMat(mask);
        Mat inside = new Mat();
        Mat out = Mat.zeros(image.height(), image.width(), CvType.CV_32FC1);
        try {
            Core.compare(msk, new Scalar(0.5), inside, Core.CMP_GE);
            img.copyTo(out, inside);
            return Cv.toGrey(out);
        } finally {
            Cv.release(img, msk, inside, out);
        }
    }

    private static void addMask(Mat union, Region region, RoiShape shape, int width, int height, int marginPx,
                                Function<Path, GreyImage> maskReader) {
        GreyImage mask = maskReader.apply(region.maskFile());
        if (mask.width() != width || mask.height() != height) {
            throw new BadInputException("mask " + region.maskFile() + " (" + region.origin() + ") is "
                    + mask.width() + "x" + mask.height() + " but its image is " + width + "x" + height
                    + "; masks must have the image's size");
        }
        Mat m = Cv.toMat(mask);
        Mat binary = new Mat();
        Mat kernel = null;
        try {
            Core.compare(m, new Scalar(0.0), binary, Core.CMP_GT); // nonzero = inside (255)
            if (shape == RoiShape.BOX) { // only reached for a region without a box
                addRect(union, Imgproc.boundingRect(binary), marginPx);
                return;
            }
            if (marginPx > 0) {
                kernel = Imgproc.getStructuringElement(Imgproc.MORPH_RECT,
                        new Size(2 * marginPx + 1, 2 * marginPx + 1));
                Imgproc.dilate(binary, binary, kernel); // border pixels are ignored by default
            }
            Core.bitwise_or(union, binary, union);
        } finally {
            Cv.release(m, binary, kernel);
        }
    }

    private static void addRect(Mat union, Rect box, int marginPx) {
        if (box.width <= 0 || box.height <= 0) {
            return;
        }
        int x0 = Math.max(0, box.x - marginPx);
        int y0 = Math.max(0, box.y - marginPx);
        int x1 = Math.min(union.cols(), box.x + box.width + marginPx);
        int y1 = Math.min(union.rows(), box.y + box.height + marginPx);
        if (x1 <= x0 || y1 <= y0) {
            return;
        }
        Mat roi = union.submat(y0, y1, x0, x1);
        roi.setTo(new Scalar(255));
        roi.release();
    }
}
