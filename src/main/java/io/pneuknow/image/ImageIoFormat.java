package io.pneuknow.image;

import io.pneuknow.BadInputException;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.event.IIOReadProgressListener;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * A format read with Java's ImageIO (PNG, JPEG, {@link ImageFormats#OTHER}): ImageIO picks its reader by
 * the content, so a file whose name says otherwise still reads. Grey samples are divided by their
 * maximum (255 or 65535, so 16-bit precision is kept); colour becomes {@link GreyImage#luminance};
 * alpha is ignored. A read on an interrupted thread is aborted ({@link CancellationException}). Pixels are as stored (EXIF orientation is not applied), the frame that boxes and
 * masks use.
 */
final class ImageIoFormat implements ImageFormat {
    private final String name;
    private final List<String> extensions;
    private final int[] magic;

    ImageIoFormat(String name, List<String> extensions, int... magic) {
        this.name = name;
        this.extensions = List.copyOf(extensions);
        this.magic = magic.clone();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> extensions() {
        return extensions;
    }

    @Override
    public boolean recognises(byte[] head) {
        if (magic.length == 0 || head.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((head[i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public ImageFiles.Dimensions dimensions(Path file) {
        ImageFiles.requireFile(file);
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return headerDimensions(in, file);
        } catch (IOException e) {
            throw undecodable(file, e.getMessage());
        }
    }

    @Override
    public ImageFiles.Dimensions dimensions(byte[] bytes, String name) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            return headerDimensions(in, name);
        } catch (IOException | RuntimeException e) {
            throw asBadInput(e, name);
        }
    }

    @Override
    public GreyImage read(Path file) {
        return toGrey(decodeFile(file));
    }

    @Override
    public GreyImage decode(byte[] bytes, String name) {
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            image = readImage(in, name);
        } catch (IOException | RuntimeException e) {
            throw asBadInput(e, name);
        }
        if (image == null) {
            throw undecodable(name, "unknown image format");
        }
        return toGrey(image);
    }

    @Override
    public GreyImage decode(byte[] bytes, String name, int minShorterSide) {
        if (minShorterSide < 1) {
            throw new IllegalArgumentException("minShorterSide must be at least 1: " + minShorterSide);
        }
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            image = readImage(in, name, minShorterSide);
        } catch (IOException | RuntimeException e) {
            throw asBadInput(e, name);
        }
        if (image == null) {
            throw undecodable(name, "unknown image format");
        }
        return toGrey(image);
    }

    /**
     * The subsampling step for an image of {@code width x height} that keeps its shorter side at least
     * {@code minShorterSide}: 1 (every pixel) when the shorter side is under twice that.
     */
    static int subsamplingStep(int width, int height, int minShorterSide) {
        return Math.max(1, Math.min(width, height) / minShorterSide);
    }

    @Override
    public ImageFiles.Dimensions verify(Path file) {
        BufferedImage image = decodeFile(file);
        return new ImageFiles.Dimensions(image.getWidth(), image.getHeight());
    }

    @Override
    public String toString() {
        return name;
    }

    private static BufferedImage decodeFile(Path file) {
        ImageFiles.requireFile(file);
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            image = readImage(in, file);
        } catch (IOException | RuntimeException e) {
            throw asBadInput(e, file);
        }
        if (image == null) {
            throw undecodable(file, "unknown image format");
        }
        return image;
    }

    /** Width and height from an image stream's header, without decoding the pixels. */
    private static ImageFiles.Dimensions headerDimensions(ImageInputStream in, Object name) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw undecodable(name, "unknown image format");
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            return new ImageFiles.Dimensions(reader.getWidth(0), reader.getHeight(0));
        } finally {
            reader.dispose();
        }
    }

    /**
     * What {@code ImageIO.read} does, but refusing a JPEG whose data ends early (the JDK decoder fills the
     * missing part with grey and only warns); null when no reader knows the format.
     */
    private static BufferedImage readImage(ImageInputStream in, Object name) throws IOException {
        return readImage(in, name, 0);
    }

    /**
     * {@link #readImage(ImageInputStream, Object)} with source subsampling when {@code minShorterSide > 0}: every
     * step-th pixel and row from the middle of each step ({@link #subsamplingStep}), so the reader never holds the
     * full raster; 0 reads every pixel.
     */
    private static BufferedImage readImage(ImageInputStream in, Object name, int minShorterSide) throws IOException {
        if (in == null) {
            return null;
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            return null;
        }
        ImageReader reader = readers.next();
        List<String> warnings = new ArrayList<>();
        try {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            ImageReadParam param = reader.getDefaultReadParam();
            if (minShorterSide > 0) {
                int step = subsamplingStep(reader.getWidth(0), reader.getHeight(0), minShorterSide);
                if (step > 1) {
                    param.setSourceSubsampling(step, step, step / 2, step / 2);
                }
            }
            reader.addIIOReadProgressListener(AbortWhenInterrupted.INSTANCE);
            BufferedImage image = reader.read(0, param);
            if (Thread.currentThread().isInterrupted()) {
                throw new CancellationException(name + ": decoding aborted, the thread was interrupted");
            }
            for (String warning : warnings) {
                if (warning.toLowerCase(Locale.ROOT).contains("premature end")) {
                    throw undecodable(name, "truncated: " + warning);
                }
            }
            return image;
        } finally {
            reader.dispose();
        }
    }

    /**
     * Aborts a read (between rows or blocks, as the reader reports progress) once the reading thread is
     * interrupted: a request whose time is up stops decoding; the read then ends in a {@link CancellationException}.
     */
    private enum AbortWhenInterrupted implements IIOReadProgressListener {
        INSTANCE;

        @Override
        public void imageProgress(ImageReader source, float percentageDone) {
            if (Thread.currentThread().isInterrupted()) {
                source.abort();
            }
        }

        @Override
        public void sequenceStarted(ImageReader source, int minIndex) {
        }

        @Override
        public void sequenceComplete(ImageReader source) {
        }

        @Override
        public void imageStarted(ImageReader source, int imageIndex) {
            imageProgress(source, 0);
        }

        @Override
        public void imageComplete(ImageReader source) {
        }

        @Override
        public void thumbnailStarted(ImageReader source, int imageIndex, int thumbnailIndex) {
        }

        @Override
        public void thumbnailProgress(ImageReader source, float percentageDone) {
        }

        @Override
        public void thumbnailComplete(ImageReader source) {
        }

        @Override
        public void readAborted(ImageReader source) {
        }
    }

    static GreyImage toGrey(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        float[] grey = new float[width * height];
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        if (image.getColorModel() instanceof IndexColorModel || (bands != 1 && bands != 2 && bands != 3 && bands != 4)) {
            int[] rgb = image.getRGB(0, 0, width, height, null, 0, width);
            for (int i = 0; i < rgb.length; i++) {
                grey[i] = (float) (GreyImage.luminance((rgb[i] >> 16) & 0xff, (rgb[i] >> 8) & 0xff, rgb[i] & 0xff) / 255.0);
            }
            return new GreyImage(width, height, grey);
        }
        float max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
        if (bands <= 2) { // grey, or grey + alpha
            int[] samples = band(raster, 0);
            for (int i = 0; i < samples.length; i++) {
                grey[i] = samples[i] / max;
            }
        } else { // RGB, or RGB + alpha
            int[] red = band(raster, 0);
            int[] green = band(raster, 1);
            int[] blue = band(raster, 2);
            for (int i = 0; i < grey.length; i++) {
                grey[i] = (float) (GreyImage.luminance(red[i], green[i], blue[i]) / max);
            }
        }
        return new GreyImage(width, height, grey);
    }

    /** One band's samples, row-major; reads the byte/short arrays directly when it can (much faster than getSamples). */
    private static int[] band(Raster raster, int band) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        DataBuffer buffer = raster.getDataBuffer();
        if (!(raster.getSampleModel() instanceof ComponentSampleModel model) || raster.getParent() != null
                || !(buffer instanceof DataBufferByte || buffer instanceof DataBufferUShort)) {
            return raster.getSamples(0, 0, width, height, band, (int[]) null);
        }
        int bank = model.getBankIndices()[band];
        int start = buffer.getOffsets()[bank] + model.getBandOffsets()[band];
        int pixelStride = model.getPixelStride();
        int lineStride = model.getScanlineStride();
        int[] samples = new int[width * height];
        byte[] bytes = buffer instanceof DataBufferByte b ? b.getData(bank) : null;
        short[] shorts = buffer instanceof DataBufferUShort s ? s.getData(bank) : null;
        for (int y = 0; y < height; y++) {
            int from = start + y * lineStride;
            int to = y * width;
            for (int x = 0; x < width; x++, from += pixelStride) {
                samples[to + x] = bytes != null ? bytes[from] & 0xff : shorts[from] & 0xffff;
            }
        }
        return samples;
    }

    private static BadInputException asBadInput(Exception e, Object name) {
        if (e instanceof CancellationException cancelled) {
            throw cancelled;
        }
        if (e instanceof BadInputException bad) {
            return bad;
        }
        return undecodable(name, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    private static BadInputException undecodable(Object file, String reason) {
        return new BadInputException(file + ": cannot decode image (" + reason
                + "); re-save it as an 8/16-bit PNG or a baseline JPEG");
    }
}
