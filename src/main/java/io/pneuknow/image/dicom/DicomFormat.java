package io.pneuknow.image.dicom;

import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.image.ImageFormat;
import java.nio.file.Path;
import java.util.List;

/**
 * DICOM as a member of {@link io.pneuknow.image.ImageFormats}: what {@link DicomFiles} reads, plus the
 * header facts ({@link DicomHeader}) that PNG and JPEG do not have.
 */
public final class DicomFormat implements ImageFormat {
    @Override
    public String name() {
        return "dicom";
    }

    @Override
    public List<String> extensions() {
        return DicomFiles.EXTENSIONS;
    }

    @Override
    public boolean recognises(byte[] head) {
        return DicomFiles.isDicom(head);
    }

    /** Whether a file is read as DICOM: named .dcm or .dicom, or with the Part 10 preamble whatever its name. */
    public boolean claims(Path file) {
        return DicomFiles.isDicom(file);
    }

    @Override
    public ImageFiles.Dimensions dimensions(Path file) {
        DicomHeader header = DicomFiles.header(file);
        return new ImageFiles.Dimensions(header.columns(), header.rows());
    }

    @Override
    public ImageFiles.Dimensions dimensions(byte[] bytes, String name) {
        DicomHeader header = DicomFiles.header(bytes, name);
        return new ImageFiles.Dimensions(header.columns(), header.rows());
    }

    @Override
    public GreyImage read(Path file) {
        return DicomFiles.read(file).image();
    }

    @Override
    public GreyImage decode(byte[] bytes, String name) {
        return DicomFiles.read(bytes, name).image();
    }

    @Override
    public ImageFiles.Dimensions verify(Path file) {
        GreyImage image = read(file);
        return new ImageFiles.Dimensions(image.width(), image.height());
    }

    /** The image with its header facts. */
    public DicomImage readWithHeader(Path file) {
        return DicomFiles.read(file);
    }

    /** {@link #readWithHeader(Path)} for bytes held in memory (an upload); {@code name} starts any message. */
    public DicomImage decodeWithHeader(byte[] bytes, String name) {
        return DicomFiles.read(bytes, name);
    }

    @Override
    public String toString() {
        return name();
    }
}
