package io.pneuknow.transform;

import io.pneuknow.image.GreyImage;
import java.util.SplittableRandom;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.CLAHE;
import org.opencv.imgproc.Imgproc;

/**
 * Paired augmentation of an image and its ROI mask with one random draw, reproducing the reference
 * code of Schaudt et al. (Sci Rep 13:9203, 2023), which used albumentations:
 *
 * <ul>
 *   <li>WEAK = {@code ShiftScaleRotate(shift_limit=0.1, scale_limit=0.5, rotate_limit=10)}, border
 *       constant 0, always applied: shift uniform in [-0.1, 0.1] of width/height, scale uniform in
 *       [0.5, 1.5], rotation uniform in [-10, 10] degrees about the image centre, one affine matrix;
 *       the image is interpolated linearly, the mask by nearest neighbour (it stays 0/1).</li>
 *   <li>STRONG = WEAK, then on the image only: with p=0.9 one of {CLAHE (clip limit uniform in
 *       [1, 4], 8x8 tiles), brightness-contrast (brightness in [-0.2, 0.2], contrast factor in
 *       [0.8, 1.2]), gamma in [0.8, 1.2]}; with p=0.9 one of {sharpen (alpha in [0.2, 0.5], lightness
 *       in [0.5, 1]), 3x3 box blur, 3x3 motion blur}; with p=0.9 brightness-contrast; each step
 *       clipped to [0, 1].</li>
 * </ul>
 *
 * <p>Photometric steps touch the image only and may spread brightness across the mask edge; the ROI
 * image is made afterwards as augmented image x augmented mask ({@link RoiMask#apply}), so everything
 * outside the mask stays black.
 *
 * <p>Deviations from the reference: (1) the third photometric group of the reference is one of
 * brightness-contrast / hue-saturation; on a grey image hue and saturation do nothing, so it is
 * brightness-contrast only. (2) The motion-blur line always passes through the kernel centre (one of
 * the 4 directions of a 3x3 kernel), so it cannot shift the image against the mask; albumentations'
 * line may miss the centre. (3) CLAHE keeps float precision: the correction of 8-bit CLAHE
 * (albumentations runs cv2 CLAHE on uint8) is added to the unrounded image. Running OpenCV CLAHE on a
 * 16-bit copy instead was rejected: with 65536 bins a 28x28 tile has about one pixel per bin, so the
 * clip limit never bites and the result is unlimited adaptive equalisation (mean |difference| to the
 * reference's 8-bit CLAHE about 0.1 on 224 px X-rays, more than CLAHE's own effect). (4) Optional
 * horizontal flip (p=0.5, off by default; the reference has none). (5) Rotation centre is the pixel
 * centre ((w-1)/2, (h-1)/2).
 *
 * <p>Immutable, hence thread-safe: every call draws from its own generator seeded by (seed, epoch,
 * index).
 */
public record PairedAugmenter(AugmentPreset preset, boolean hflip) {
    static {
        Cv.load();
    }

    /** An augmenter without horizontal flip (as in the reference). */
    public PairedAugmenter(AugmentPreset preset) {
        this(preset, false);
    }

    public PairedAugmenter {
        if (preset == null) {
            throw new IllegalArgumentException("preset is null");
        }
    }

    /** One geometric draw: shift as fractions of width/height, scale factor, angle in degrees (counter-clockwise), flip. */
    record Geometry(double shiftX, double shiftY, double scale, double angleDeg, boolean flip) {
    }

    /** Augments image and mask with the draw for (seed, epoch, index); NONE returns copies. */
    public AugmentedPair augment(GreyImage image, GreyImage mask, long seed, int epoch, int index) {
        if (image.width() != mask.width() || image.height() != mask.height()) {
            throw new IllegalArgumentException("image " + image.width() + "x" + image.height()
                    + " and mask " + mask.width() + "x" + mask.height() + " differ in size");
        }
        if (preset == AugmentPreset.NONE) {
            return new AugmentedPair(copy(image), copy(mask));
        }
        SplittableRandom random = new SplittableRandom(mix(seed, epoch, index));
        boolean flip = random.nextDouble() < 0.5; // always drawn, so hflip does not change the other draws
        Geometry geometry = new Geometry(random.nextDouble(-0.1, 0.1), random.nextDouble(-0.1, 0.1),
                random.nextDouble(0.5, 1.5), random.nextDouble(-10.0, 10.0), hflip && flip);
        AugmentedPair warped = warp(image, mask, geometry);
        if (preset == AugmentPreset.WEAK) {
            return warped;
        }
        return new AugmentedPair(photometric(warped.image(), random), warped.mask());
    }

    /** Applies one geometric draw to image (linear) and mask (nearest); black border. */
    static AugmentedPair warp(GreyImage image, GreyImage mask, Geometry g) {
        int w = image.width();
        int h = image.height();
        Mat img = Cv.toMat(image);
        Mat msk = Cv.toMat(mask);
        Mat matrix = Imgproc.getRotationMatrix2D(new Point((w - 1) / 2.0, (h - 1) / 2.0), g.angleDeg(), g.scale());
        Mat imgOut = new Mat();
        Mat mskOut = new Mat();
        try {
            if (g.flip()) {
                Core.flip(img, img, 1);
                Core.flip(msk, msk, 1);
            }
            matrix.put(0, 2, matrix.get(0, 2)[0] + g.shiftX() * w);
            matrix.put(1, 2, matrix.get(1, 2)[0] + g.shiftY() * h);
            Size size = new Size(w, h);
            Scalar black = new Scalar(0);
            Imgproc.warpAffine(img, imgOut, matrix, size, Imgproc.INTER_LINEAR, Core.BORDER_CONSTANT, black);
            Imgproc.warpAffine(msk, mskOut, matrix, size, Imgproc.INTER_NEAREST, Core.BORDER_CONSTANT, black);
            Cv.clip01(imgOut);
            return new AugmentedPair(Cv.toGrey(imgOut), Cv.toGrey(mskOut));
        } finally {
            Cv.release(img, msk, matrix, imgOut, mskOut);
        }
    }

    /** The STRONG photometric steps on the image only, drawing from {@code random}. */
    static GreyImage photometric(GreyImage image, SplittableRandom random) {
        Mat mat = Cv.toMat(image);
        try {
            if (random.nextDouble() < 0.9) {
                switch (random.nextInt(3)) {
                    case 0 -> clahe(mat, random.nextDouble(1.0, 4.0));
                    case 1 -> brightnessContrast(mat, random);
                    default -> gamma(mat, random.nextDouble(0.8, 1.2));
                }
            }
            if (random.nextDouble() < 0.9) {
                switch (random.nextInt(3)) {
                    case 0 -> sharpen(mat, random.nextDouble(0.2, 0.5), random.nextDouble(0.5, 1.0));
                    case 1 -> Imgproc.blur(mat, mat, new Size(3, 3));
                    default -> motionBlur(mat, random.nextInt(4));
                }
                Cv.clip01(mat);
            }
            if (random.nextDouble() < 0.9) {
                brightnessContrast(mat, random);
            }
            return Cv.toGrey(mat);
        } finally {
            mat.release();
        }
    }

    /** x * contrast + brightness, contrast in [0.8, 1.2], brightness in [-0.2, 0.2], clipped (albumentations defaults). */
    private static void brightnessContrast(Mat mat, SplittableRandom random) {
        double brightness = random.nextDouble(-0.2, 0.2);
        double contrast = random.nextDouble(0.8, 1.2);
        mat.convertTo(mat, CvType.CV_32FC1, contrast, brightness);
        Cv.clip01(mat);
    }

    private static void gamma(Mat mat, double gamma) {
        Core.pow(mat, gamma, mat);
        Cv.clip01(mat);
    }

    /**
     * 8-bit CLAHE (as cv2 in the reference) with its correction added to the unrounded image:
     * {@code x + (clahe(q) - q) / 255}, {@code q = round(255 x)}; equals 8-bit CLAHE within 0.5/255.
     */
    private static void clahe(Mat mat, double clipLimit) {
        Mat q = new Mat();
        Mat enhanced = new Mat();
        Mat qf = new Mat();
        Mat ef = new Mat();
        CLAHE clahe = Imgproc.createCLAHE(clipLimit, new Size(8, 8));
        try {
            mat.convertTo(q, CvType.CV_8UC1, 255.0); // rounds and saturates
            clahe.apply(q, enhanced);
            q.convertTo(qf, CvType.CV_32FC1, 1.0 / 255.0);
            enhanced.convertTo(ef, CvType.CV_32FC1, 1.0 / 255.0);
            Core.subtract(ef, qf, ef);
            Core.add(mat, ef, mat);
            Cv.clip01(mat);
        } finally {
            Cv.release(q, enhanced, qf, ef);
        }
    }

    /** albumentations Sharpen: kernel (1 - alpha) * identity + alpha * [[-1,-1,-1],[-1,8+lightness,-1],[-1,-1,-1]]. */
    private static void sharpen(Mat mat, double alpha, double lightness) {
        Mat kernel = new Mat(3, 3, CvType.CV_32FC1, new Scalar(-alpha));
        try {
            kernel.put(1, 1, (1 - alpha) + alpha * (8 + lightness));
            Imgproc.filter2D(mat, mat, -1, kernel);
        } finally {
            kernel.release();
        }
    }

    /** 3x3 motion blur along a line through the centre: 0 horizontal, 1 vertical, 2 and 3 the diagonals. */
    private static void motionBlur(Mat mat, int direction) {
        Mat kernel = Mat.zeros(3, 3, CvType.CV_32FC1);
        try {
            int[][] ends = {{0, 1, 2, 1}, {1, 0, 1, 2}, {0, 0, 2, 2}, {0, 2, 2, 0}};
            int[] e = ends[direction];
            Imgproc.line(kernel, new Point(e[0], e[1]), new Point(e[2], e[3]), new Scalar(1.0 / 3.0), 1);
            Imgproc.filter2D(mat, mat, -1, kernel);
        } finally {
            kernel.release();
        }
    }

    /** A well-mixed 64-bit seed from (seed, epoch, index): three rounds of the murmur3 finaliser. */
    static long mix(long seed, int epoch, int index) {
        long h = fmix64(seed ^ 0x9E3779B97F4A7C15L);
        h = fmix64(h ^ (epoch * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L));
        return fmix64(h ^ (index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL));
    }

    private static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB93FE1A85B4BL;
        k ^= k >>> 33;
        return k;
    }

    private static GreyImage copy(GreyImage image) {
        return new GreyImage(image.width(), image.height(), image.pixels().clone());
    }
}
