package io.pneuknow.image.dicom;

import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes the single frame of encapsulated JPEG pixel data: lossless (process 14) with
 * {@link LosslessJpeg}, baseline with the JDK's JPEG reader. The stream's size is checked against
 * Rows and Columns before any pixel is decoded, so a stream cannot make a decoder allocate more than
 * the header's (bounded) image.
 */
final class JpegFrames {
    private JpegFrames() {
    }

    /** Stored values of the frame: the decoded samples' low {@code bitsStored} bits, sign-extended when signed. */
    static float[] decode(DicomParser.Parsed parsed, int rows, int columns, int bitsStored, boolean signed) {
        byte[] jpeg = concatenate(parsed.bytes(), parsed.fragments());
        int[] samples = parsed.syntax() == TransferSyntax.JPEG_BASELINE
                ? baseline(jpeg, rows, columns, 1).getSamples(0, 0, columns, rows, 0, (int[]) null)
                : LosslessJpeg.decode(jpeg, columns, rows);
        float[] values = new float[samples.length];
        for (int i = 0; i < samples.length; i++) {
            values[i] = DicomReader.storedValue(samples[i], bitsStored, signed);
        }
        return values;
    }

    /**
     * Grey values of a colour JPEG baseline frame: the decoder turns its YCbCr (or RGB) into RGB, whose
     * luminance divided by 255 is the grey value, as for an RGB PNG.
     */
    static float[] decodeColour(DicomParser.Parsed parsed, int rows, int columns) {
        Raster raster = baseline(concatenate(parsed.bytes(), parsed.fragments()), rows, columns, 3);
        int[] red = raster.getSamples(0, 0, columns, rows, 0, (int[]) null);
        int[] green = raster.getSamples(0, 0, columns, rows, 1, (int[]) null);
        int[] blue = raster.getSamples(0, 0, columns, rows, 2, (int[]) null);
        float[] grey = new float[red.length];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = (float) (GreyImage.luminance(red[i], green[i], blue[i]) / 255.0);
        }
        return grey;
    }

    /** The decoded frame, checked to have the header's size, {@code components} bands and 8-bit samples. */
    private static Raster baseline(byte[] jpeg, int rows, int columns, int components) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        if (!readers.hasNext()) {
            throw new DicomException("DICOM JPEG baseline pixel data needs a JPEG reader, and none is installed; "
                    + "decompress the file with dcmtk: dcmdjpeg in.dcm out.dcm");
        }
        ImageReader reader = readers.next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg))) {
            reader.setInput(in, true, true);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width != columns || height != rows) {
                throw new DicomException("DICOM JPEG stream is " + width + "x" + height + " pixels but the header says "
                        + columns + "x" + rows + "; the file is corrupt; re-export it from the archive");
            }
            BufferedImage image = reader.read(0);
            Raster raster = image.getRaster();
            if (raster.getNumBands() != components) {
                throw new DicomException("DICOM JPEG stream has " + raster.getNumBands() + " components where the "
                        + "header's " + (components == 1 ? "greyscale" : "colour") + " image has " + components
                        + "; the file is corrupt; re-export it from the archive");
            }
            if (raster.getWidth() != columns || raster.getHeight() != rows
                    || raster.getDataBuffer().getDataType() != DataBuffer.TYPE_BYTE) {
                throw new DicomException("DICOM JPEG stream does not decode to " + columns + "x" + rows
                        + " 8-bit samples; decompress it with dcmtk: dcmdjpeg in.dcm out.dcm");
            }
            return raster;
        } catch (IOException | RuntimeException e) {
            if (e instanceof DicomException dicom) {
                throw dicom;
            }
            throw new DicomException("DICOM JPEG baseline pixel data cannot be decoded (" + describe(e) + "); the "
                    + "file is truncated or corrupt; check it with dcmtk: dcmdjpeg in.dcm out.dcm");
        } finally {
            reader.dispose();
        }
    }

    private static byte[] concatenate(byte[] bytes, List<DicomParser.Span> fragments) {
        long total = 0;
        for (DicomParser.Span fragment : fragments) {
            total += fragment.length();
        }
        byte[] jpeg = new byte[(int) total]; // fragments lie inside the file, so this fits
        int at = 0;
        for (DicomParser.Span fragment : fragments) {
            System.arraycopy(bytes, fragment.offset(), jpeg, at, fragment.length());
            at += fragment.length();
        }
        return jpeg;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        message = message.replaceAll("[\\r\\n]+", " ");
        return message.length() > 160 ? message.substring(0, 160) + "..." : message;
    }
}
