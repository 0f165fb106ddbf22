package io.pneuknow.image;

import io.pneuknow.BadInputException;
import io.pneuknow.image.dicom.DicomFiles;
import io.pneuknow.image.dicom.DicomHeader;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image and mask files (PNG 8/16-bit grey or RGB(A), JPEG, and DICOM: files named .dcm or
 * .dicom or with the DICOM preamble, read by {@link DicomFiles}) into {@link GreyImage}s.
 */
public final class ImageFiles {
    private static final double RED = 0.299;
    private static final double GREEN = 0.587;
    private static final double BLUE = 0.114;

    private ImageFiles() {
    }

    /** Width and height of an image; reads only the header. */
    public static Dimensions dimensions(Path file) {
        requireFile(file);
        if (DicomFiles.isDicom(file)) {
            DicomHeader header = DicomFiles.header(file);
            return new Dimensions(header.columns(), header.rows());
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return headerDimensions(in, file);
        } catch (IOException e) {
            throw undecodable(file, e.getMessage());
        }
    }

    /** Width and height from an image stream's header, without decoding the pixels. */
    private static Dimensions headerDimensions(ImageInputStream in, Object name) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw undecodable(name, "unknown image format");
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            return new Dimensions(reader.getWidth(0), reader.getHeight(0));
        } finally {
            reader.dispose();
        }
    }

    /**
     * Decodes an image to grey values in [0, 1]: grey samples are divided by their maximum (255 or
     * 65535, so 16-bit precision is kept); colour is turned into luminance 0.299 R + 0.587 G + 0.114 B;
     * alpha is ignored. Pixels are as stored (EXIF orientation is not applied), the frame that boxes
     * and masks use. DICOM values go through rescale, the file's VOI window (else their full range)
     * and MONOCHROME1 inversion, as {@link DicomFiles} describes.
     */
    public static GreyImage read(Path file) {
        requireFile(file);
        if (DicomFiles.isDicom(file)) {
            return DicomFiles.read(file).image();
        }
        return toGrey(decode(file));
    }

    /** What the first bytes say an image is: "png", "jpeg" or "dicom"; null for anything else. */
    public static String sniff(byte[] bytes) {
        if (DicomFiles.isDicom(bytes)) {
            return "dicom";
        }
        if (bytes.length >= 8 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G'
                && bytes[4] == 0x0d && bytes[5] == 0x0a && bytes[6] == 0x1a && bytes[7] == 0x0a) {
            return "png";
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff) {
            return "jpeg";
        }
        return null;
    }

    /**
     * Width and height of an image held in memory (an upload), from its header only, so that a
     * decompression bomb can be refused before decoding; {@code name} starts any message.
     */
    public static Dimensions dimensions(byte[] bytes, String name) {
        if (DicomFiles.isDicom(bytes)) {
            DicomHeader header = DicomFiles.header(bytes, name);
            return new Dimensions(header.columns(), header.rows());
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            return headerDimensions(in, name);
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            throw undecodable(name, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** {@link #read(Path)} for bytes held in memory (an upload): PNG, JPEG or DICOM by content; {@code name} starts any message. */
    public static GreyImage decode(byte[] bytes, String name) {
        if (DicomFiles.isDicom(bytes)) {
            return DicomFiles.read(bytes, name).image();
        }
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            image = readImage(in, name);
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            throw undecodable(name, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        if (image == null) {
            throw undecodable(name, "unknown image format");
        }
        return toGrey(image);
    }

    /** Decodes without converting; enough to check that a file is a readable image and get its size. */
    public static BufferedImage decode(Path file) {
        requireFile(file);
        if (DicomFiles.isDicom(file)) { // decoded fully, so that a data check finds every unreadable file
            GreyImage grey = DicomFiles.read(file).image();
            BufferedImage image = new BufferedImage(grey.width(), grey.height(), BufferedImage.TYPE_USHORT_GRAY);
            short[] samples = ((DataBufferUShort) image.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < samples.length; i++) {
                samples[i] = (short) Math.round(grey.pixels()[i] * 65535);
            }
            return image;
        }
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            image = readImage(in, file);
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            throw undecodable(file, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        if (image == null) {
            throw undecodable(file, "unknown image format");
        }
        return image;
    }

    /**
     * What {@code ImageIO.read} does, but refusing a JPEG whose data ends early (the JDK decoder fills the
     * missing part with grey and only warns); null when no reader knows the format.
     */
    private static BufferedImage readImage(ImageInputStream in, Object name) throws IOException {
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
            BufferedImage image = reader.read(0);
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

    /** Decodes a binary mask: every nonzero pixel becomes 1, the rest 0. */
    public static GreyImage readMask(Path file) {
        GreyImage image = read(file);
        float[] pixels = image.pixels();
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = pixels[i] > 0 ? 1f : 0f;
        }
        return image;
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
                grey[i] = (float) (luminance((rgb[i] >> 16) & 0xff, (rgb[i] >> 8) & 0xff, rgb[i] & 0xff) / 255.0);
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
                grey[i] = (float) (luminance(red[i], green[i], blue[i]) / max);
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

    /**
     * Luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601) in the samples' own units: how every colour
     * image (PNG, JPEG, colour DICOM) becomes grey.
     */
    public static double luminance(int red, int green, int blue) {
        return RED * red + GREEN * green + BLUE * blue;
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": image file not found; check the path");
        }
    }

    private static BadInputException undecodable(Object file, String reason) {
        return new BadInputException(file + ": cannot decode image (" + reason
                + "); re-save it as an 8/16-bit PNG or a baseline JPEG");
    }

    /** Width and height of an image in pixels. */
    public record Dimensions(int width, int height) {
    }
}
