package io.pneuknow.serve;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.image.ImageFormats;
import io.pneuknow.model.ModelBundle;
import java.io.IOException;
import org.eclipse.jetty.http.BadMessageException;
import java.io.InputStream;
import java.util.List;

/** Reads an image request's upload (multipart field {@code image}) and checks it by content, size and declared pixels. */
final class Uploads {
    private final long maxUploadBytes;
    private final long maxPixels;
    private final long minBytesPerSecond;

    /**
     * @param maxUploadBytes largest accepted upload
     * @param maxPixels largest accepted width x height, checked from the header before decoding
     * @param minBytesPerSecond the server's minimum upload rate, named in the 408 {@code slow_upload} message
     */
    Uploads(long maxUploadBytes, long maxPixels, long minBytesPerSecond) {
        this.maxUploadBytes = maxUploadBytes;
        this.maxPixels = maxPixels;
        this.minBytesPerSecond = minBytesPerSecond;
    }

    /** An upload that passed the checks: its bytes and the pixel size its header declares. */
    record Upload(byte[] bytes, ImageFiles.Dimensions size) {
    }

    /**
     * The upload (its SHA-256 noted for the logs): exactly one part named {@code image} of a well-formed
     * multipart body; throws {@link ApiException} with the right status otherwise (408 {@code slow_upload} when the
     * body arrived slower than the server's minimum rate).
     */
    Upload read(Context ctx) {
        if (!ctx.isMultipartFormData()) {
            throw new ApiException(415, "not_multipart", "send the image as multipart/form-data in the field 'image'");
        }
        List<UploadedFile> files;
        try {
            files = ctx.uploadedFiles("image");
        } catch (Exception e) { // Javalin (Kotlin) passes Jetty's IOException on undeclared
            if (isSlowBody(e)) {
                throw new ApiException(408, "slow_upload", "the upload arrived slower than " + minBytesPerSecond
                        + " bytes a second and was cut; send it again over a faster connection");
            }
            if (ErrorAnswers.isSizeLimit(e)) {
                throw new ApiException(413, "too_large", "the upload exceeds the limit of " + maxUploadBytes
                        + " bytes; send a smaller image");
            }
            throw new ApiException(400, "bad_multipart", "the multipart/form-data body cannot be read (a boundary "
                    + "missing from Content-Type or from the body's end, or a part's header too long); send a well-formed form");
        }
        if (files.isEmpty()) {
            throw new ApiException(400, "missing_image", "no field 'image' in the form; send the image as field 'image'");
        }
        if (files.size() > 1) {
            throw new ApiException(400, "several_images", files.size() + " parts named 'image' in the form; "
                    + "send exactly one image per request");
        }
        UploadedFile file = files.get(0);
        if (file.size() > maxUploadBytes) {
            throw new ApiException(413, "too_large", "upload of " + file.size() + " bytes exceeds the limit of "
                    + maxUploadBytes + " bytes; send a smaller image");
        }
        byte[] bytes;
        try (InputStream in = file.content()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new ApiException(400, "unreadable_upload", "the upload could not be read; send it again");
        }
        RequestAttributes.uploadSha256(ctx, ModelBundle.sha256(bytes));
        if (bytes.length == 0) {
            throw new ApiException(400, "empty_image", "the upload is empty; send a PNG, JPEG or DICOM image");
        }
        if (ImageFormats.sniff(bytes).isEmpty()) {
            throw new ApiException(415, "unsupported_media_type", "the upload is not a PNG, JPEG or DICOM image by its "
                    + "content (its first bytes); send one of those");
        }
        ImageFiles.Dimensions size = ImageFiles.dimensions(bytes, "upload");
        if ((long) size.width() * size.height() > maxPixels || size.width() <= 0 || size.height() <= 0) {
            throw new ApiException(413, "too_many_pixels", "upload: " + size.width() + "x" + size.height()
                    + " pixels exceeds the limit of " + maxPixels + " pixels; downscale the image");
        }
        return new Upload(bytes, size);
    }

    /** Whether reading the body failed on the HTTP layer's minimum data rate (Jetty's 408). */
    private static boolean isSlowBody(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadMessageException bad && bad.getCode() == 408) {
                return true;
            }
        }
        return false;
    }
}
