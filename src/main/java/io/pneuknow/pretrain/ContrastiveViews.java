package io.pneuknow.pretrain;

import io.pneuknow.image.GreyImage;
import java.util.SplittableRandom;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * The random views of one radiograph for contrastive pretraining, made for grey X-rays:
 *
 * <ol>
 *   <li>Random resized crop: a crop of area share U[{@code minCropArea}, 1] and aspect ratio
 *       log-uniform in [3/4, 4/3] at a uniform position, rotated by U[-10, 10] degrees about its
 *       centre, resampled (bilinear, black outside the image) to {@code size x size}.</li>
 *   <li>With p = 0.8, contrast c in U[0.6, 1.4] about the image mean and brightness b in U[-0.2, 0.2];
 *       with p = 0.5, gamma log-uniform in [0.7, 1.4]: the grey stand-ins for SimCLR's colour jitter
 *       (exposure, windowing and detector response vary between films).</li>
 *   <li>With p = 0.5, Gaussian blur with sigma U[0.1, 1.5] px; with p = 0.5, Gaussian noise with
 *       standard deviation U[0, 0.03] (resolution and quantum noise differ between machines).</li>
 *   <li>Values clipped to [0, 1] after each step.</li>
 * </ol>
 *
 * <p>No colour steps (the films are grey) and no horizontal flip: chest anatomy is not left-right
 * symmetric (heart, aortic arch, gastric bubble), so a flipped film is not a view of the same
 * patient. Immutable and thread-safe: each view draws from its own generator seeded by (seed,
 * epoch, image index, view), so views do not depend on thread scheduling.
 *
 * @param size side of the square views, in pixels
 * @param minCropArea smallest crop area as a share of the image, in (0, 1]
 */
public record ContrastiveViews(int size, double minCropArea) {
    static {
        nu.pattern.OpenCV.loadLocally();
    }

    /** The default smallest crop: 35 % of the image (SimCLR uses 8 % on natural images; X-ray findings are larger and sparse). */
    public static final double DEFAULT_MIN_CROP_AREA = 0.35;

    public ContrastiveViews {
        if (size <= 0) {
            throw new IllegalArgumentException("view size must be positive: " + size);
        }
        if (!(minCropArea > 0 && minCropArea <= 1)) {
            throw new IllegalArgumentException("minCropArea must be in (0, 1]: " + minCropArea);
        }
    }

    /** One-line description for the provenance record. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "random resized crop (area %.2f-1, aspect 3/4-4/3) rotated +-10 deg to %d px; "
                + "p0.8 contrast 0.6-1.4 + brightness +-0.2; p0.5 gamma 0.7-1.4; p0.5 Gaussian blur sigma 0.1-1.5 px; "
                + "p0.5 Gaussian noise sd 0-0.03; no flip, no colour", minCropArea, size);
    }

    /** View number {@code view} (0 or 1) of image {@code index} in epoch {@code epoch}. */
    public GreyImage view(GreyImage image, long seed, int epoch, int index, int view) {
        SplittableRandom random = new SplittableRandom(io.pneuknow.train.Schedules.mix(seed, epoch, index, view, 11));
        Mat src = toMat(image);
        Mat out = new Mat();
        try {
            crop(src, out, random);
            intensity(out, random);
            return toGrey(out);
        } finally {
            src.release();
            out.release();
        }
    }

    /** Random resized crop with a small rotation, as one inverse affine map from output to source pixels. */
    private void crop(Mat src, Mat out, SplittableRandom random) {
        int w = src.cols();
        int h = src.rows();
        double area = minCropArea + random.nextDouble() * (1.0 - minCropArea);
        double logRatio = random.nextDouble(Math.log(3.0 / 4.0), Math.log(4.0 / 3.0));
        double ratio = Math.exp(logRatio);
        double cw = Math.min(1.0, Math.sqrt(area * ratio)) * w;
        double ch = Math.min(1.0, Math.sqrt(area / ratio)) * h;
        // crop centre, in continuous coordinates (pixel i spans [i, i + 1))
        double cx = cw / 2 + random.nextDouble() * (w - cw);
        double cy = ch / 2 + random.nextDouble() * (h - ch);
        double angle = Math.toRadians(random.nextDouble(-10.0, 10.0));
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double sx = cw / size;
        double sy = ch / size;
        // source (x, y) of output pixel (u, v), both in pixel-centre coordinates:
        // X = cx + R [ (u + 0.5) sx - cw/2, (v + 0.5) sy - ch/2 ],  x = X - 0.5
        double ox = (0.5 * sx - cw / 2);
        double oy = (0.5 * sy - ch / 2);
        Mat map = new Mat(2, 3, CvType.CV_64FC1);
        try {
            map.put(0, 0, cos * sx, -sin * sy, cx + cos * ox - sin * oy - 0.5);
            map.put(1, 0, sin * sx, cos * sy, cy + sin * ox + cos * oy - 0.5);
            Imgproc.warpAffine(src, out, map, new Size(size, size), Imgproc.INTER_LINEAR | Imgproc.WARP_INVERSE_MAP,
                    Core.BORDER_CONSTANT, new Scalar(0));
        } finally {
            map.release();
        }
        clip01(out);
    }

    private static void intensity(Mat mat, SplittableRandom random) {
        if (random.nextDouble() < 0.8) {
            double contrast = random.nextDouble(0.6, 1.4);
            double brightness = random.nextDouble(-0.2, 0.2);
            double mean = Core.mean(mat).val[0];
            // (x - mean) * c + mean + b
            mat.convertTo(mat, CvType.CV_32FC1, contrast, mean * (1 - contrast) + brightness);
            clip01(mat);
        }
        if (random.nextDouble() < 0.5) {
            double gamma = Math.exp(random.nextDouble(Math.log(0.7), Math.log(1.4)));
            Core.pow(mat, gamma, mat);
            clip01(mat);
        }
        if (random.nextDouble() < 0.5) {
            double sigma = random.nextDouble(0.1, 1.5);
            Imgproc.GaussianBlur(mat, mat, new Size(0, 0), sigma);
            clip01(mat);
        }
        if (random.nextDouble() < 0.5) {
            double sd = random.nextDouble(0.0, 0.03);
            float[] px = new float[(int) mat.total()];
            mat.get(0, 0, px);
            for (int i = 0; i < px.length; i++) {
                px[i] = (float) Math.min(1.0, Math.max(0.0, px[i] + sd * random.nextGaussian()));
            }
            mat.put(0, 0, px);
        }
    }

    private static Mat toMat(GreyImage image) {
        Mat mat = new Mat(image.height(), image.width(), CvType.CV_32FC1);
        mat.put(0, 0, image.pixels());
        return mat;
    }

    private static GreyImage toGrey(Mat mat) {
        float[] px = new float[mat.rows() * mat.cols()];
        mat.get(0, 0, px);
        return new GreyImage(mat.cols(), mat.rows(), px);
    }

    private static void clip01(Mat mat) {
        Core.min(mat, new Scalar(1.0), mat);
        Core.max(mat, new Scalar(0.0), mat);
    }
}
