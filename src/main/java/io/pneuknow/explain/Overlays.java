package io.pneuknow.explain;

import io.pneuknow.data.AtomicFiles;
import io.pneuknow.image.GreyImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * PNG overlays for people: the X-ray in grey, the heat map blended over it as OpenCV's jet colour map
 * (alpha {@value #ALPHA}, only where the heat is above {@value #MIN_HEAT} of its maximum) and the
 * outlines of the expert regions in green.
 */
public final class Overlays {
    /** Weight of the colour map where it is drawn. */
    public static final double ALPHA = 0.4;
    /** Heat (relative to its maximum) below which the X-ray is left grey. */
    public static final double MIN_HEAT = 0.1;
    /** Outline thickness in pixels. */
    public static final int OUTLINE_PX = 1;

    static {
        nu.pattern.OpenCV.loadLocally();
    }

    private Overlays() {
    }

    /**
     * Writes the overlay as an 8-bit RGB PNG at the X-ray's size, atomically (temporary file beside
     * {@code png}, then a move). The heat may have any non-negative scale (it is shown relative to its
     * maximum); heat and mask must have the X-ray's size; the mask (inside >= 0.5) may be null.
     */
    public static void write(Path png, GreyImage xray, GreyImage heat, GreyImage regionMaskOrNull) throws IOException {
        byte[] bytes = encode(xray, heat, regionMaskOrNull);
        AtomicFiles.write(png, out -> out.write(bytes));
    }

    /** The overlay's PNG bytes (see {@link #write}). */
    public static byte[] encode(GreyImage xray, GreyImage heat, GreyImage regionMaskOrNull) {
        int w = xray.width();
        int h = xray.height();
        checkSize("heat", heat, w, h);
        if (regionMaskOrNull != null) {
            checkSize("region mask", regionMaskOrNull, w, h);
        }
        float[] heatPx = heat.pixels();
        float max = 0;
        for (float v : heatPx) {
            if (!(v >= 0) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("heat values must be finite and >= 0, found " + v);
            }
            max = Math.max(max, v);
        }
        byte[] heat8 = new byte[w * h];
        for (int i = 0; i < heat8.length; i++) {
            heat8[i] = (byte) (max > 0 ? Math.round(heatPx[i] / max * 255) : 0);
        }
        Mat heatMat = new Mat(h, w, CvType.CV_8UC1);
        Mat colour = new Mat();
        Mat out = new Mat(h, w, CvType.CV_8UC3);
        Mat maskMat = null;
        List<MatOfPoint> contours = new ArrayList<>();
        Mat hierarchy = new Mat();
        MatOfByte encoded = new MatOfByte();
        try {
            heatMat.put(0, 0, heat8);
            Imgproc.applyColorMap(heatMat, colour, Imgproc.COLORMAP_JET);
            byte[] colourPx = new byte[w * h * 3];
            colour.get(0, 0, colourPx);
            byte[] outPx = new byte[w * h * 3];
            float[] grey = xray.pixels();
            for (int i = 0; i < w * h; i++) {
                double g = Math.round(Math.min(1f, Math.max(0f, grey[i])) * 255);
                boolean hot = max > 0 && heatPx[i] / max > MIN_HEAT;
                for (int c = 0; c < 3; c++) {
                    double v = hot ? (1 - ALPHA) * g + ALPHA * (colourPx[3 * i + c] & 0xff) : g;
                    outPx[3 * i + c] = (byte) Math.round(v);
                }
            }
            out.put(0, 0, outPx);
            if (regionMaskOrNull != null) {
                float[] m = regionMaskOrNull.pixels();
                byte[] mask8 = new byte[w * h];
                for (int i = 0; i < mask8.length; i++) {
                    mask8[i] = (byte) (m[i] >= 0.5f ? 255 : 0);
                }
                maskMat = new Mat(h, w, CvType.CV_8UC1);
                maskMat.put(0, 0, mask8);
                Imgproc.findContours(maskMat, contours, hierarchy, Imgproc.RETR_EXTERNAL, Imgproc.CHAIN_APPROX_NONE);
                Imgproc.drawContours(out, contours, -1, new Scalar(0, 255, 0), OUTLINE_PX); // BGR green
            }
            if (!Imgcodecs.imencode(".png", out, encoded)) {
                throw new IllegalStateException("OpenCV could not encode the overlay as PNG");
            }
            return encoded.toArray();
        } finally {
            for (MatOfPoint c : contours) {
                c.release();
            }
            for (Mat m : new Mat[] {heatMat, colour, out, maskMat, hierarchy, encoded}) {
                if (m != null) {
                    m.release();
                }
            }
        }
    }

    private static void checkSize(String what, GreyImage image, int w, int h) {
        if (image.width() != w || image.height() != h) {
            throw new IllegalArgumentException(what + " is " + image.width() + "x" + image.height()
                    + " but the X-ray is " + w + "x" + h + "; resize it first (HeatMaps returns the raw size)");
        }
    }
}
