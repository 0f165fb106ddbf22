package io.pneuknow.serve;

import io.javalin.http.Context;
import io.pneuknow.BadInputException;

/**
 * Test-only access to the package's upload check ({@link Uploads}) for the fuzz tests in
 * {@code io.pneuknow.fuzz}, which run it on parsed multipart bodies without starting a server.
 */
public final class UploadsAccess {
    private UploadsAccess() {
    }

    /**
     * What {@link Uploads#read} made of a request: the accepted bytes, or the refusal's status, code and
     * message as {@link ErrorAnswers} answers them.
     */
    public record Result(byte[] bytes, int status, String code, String message) {
        /** Whether the upload was accepted. */
        public boolean accepted() {
            return bytes != null;
        }
    }

    /** Runs the service's upload check with the given limits on a request's context. */
    public static Result read(Context ctx, long maxUploadBytes, long maxPixels) {
        try {
            return new Result(new Uploads(maxUploadBytes, maxPixels, Server.DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND).read(ctx).bytes(), 0, null, null);
        } catch (ApiException e) {
            return new Result(null, e.status, e.code, e.getMessage());
        } catch (BadInputException e) { // a header the decoder refuses: ErrorAnswers answers it with 400 bad_image
            return new Result(null, 400, "bad_image", e.getMessage());
        }
    }
}
