package io.pneuknow.fuzz;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.pneuknow.serve.UploadsAccess;
import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.Part;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.server.MultiPartFormInputStream;

/**
 * What every request body must end in on the service's upload path, run without a server: the
 * body is parsed by the multipart parser the service's Jetty uses ({@link MultiPartFormInputStream},
 * RFC 7578 compliance, as Javalin's {@code ctx.uploadedFile} does), the parts named {@code image} go
 * through the service's own upload check ({@code serve.Uploads}, through {@link UploadsAccess}), and
 * accepted bytes through the decoders ({@link ImageContract#checkBytes}). Allowed endings: the parser
 * refuses the body with an {@link IOException}, {@link IllegalStateException} or
 * {@link IllegalArgumentException} (the kinds the service must answer with a 400); the upload check
 * refuses it with a 4xx and a one-line message; or the image decodes or is refused cleanly. Anything
 * else, or an input slower than {@link ImageContract#MAX_NANOS}, breaks the contract.
 *
 * <p>An input is a Content-Type header value, a line feed, then the body; without a line feed the
 * whole input is the body under a fixed boundary.
 */
public final class UploadContract {
    /** The upload limit the check runs with. */
    public static final long MAX_UPLOAD_BYTES = 1 << 20;
    /** The boundary used when an input names no Content-Type. */
    static final String BOUNDARY = "fuzzBoundary7MA4YWxk";
    private static final int MAX_PARTS = 100;
    private static final File TMP = new File(System.getProperty("java.io.tmpdir"));

    /** How one input ended. */
    public enum Outcome {
        /** the multipart parser refused the body */
        PARSER_REFUSED,
        /** the upload check refused it (4xx) */
        UPLOAD_REFUSED,
        /** the upload was accepted and its image decoded */
        IMAGE,
        /** the upload was accepted and the decoder refused its image */
        IMAGE_REFUSED
    }

    private UploadContract() {
    }

    /** Runs one input; throws {@link AssertionError} when the contract is broken. */
    public static Outcome check(byte[] input) {
        byte[] bytes = input.length > ImageContract.MAX_INPUT_BYTES
                ? Arrays.copyOf(input, ImageContract.MAX_INPUT_BYTES) : input;
        long start = System.nanoTime();
        try {
            return outcome(bytes);
        } finally {
            long took = System.nanoTime() - start;
            if (took > ImageContract.MAX_NANOS) {
                throw new AssertionError("an input of " + bytes.length + " bytes took " + took / 1_000_000 + " ms");
            }
        }
    }

    /** An input for {@link #check}: the Content-Type value, a line feed, and the body. */
    public static byte[] input(String contentType, byte[] body) {
        byte[] head = (contentType + "\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] input = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, input, head.length, body.length);
        return input;
    }

    private static Outcome outcome(byte[] input) {
        int newline = indexOf(input, (byte) '\n', 512);
        String contentType = newline < 0 ? "multipart/form-data; boundary=" + BOUNDARY
                : new String(input, 0, newline, StandardCharsets.ISO_8859_1);
        byte[] body = newline < 0 ? input : Arrays.copyOfRange(input, newline + 1, input.length);

        MultiPartFormInputStream parser = null;
        try {
            Collection<Part> parts;
            try {
                parser = new MultiPartFormInputStream(new ByteArrayInputStream(body), contentType,
                        new MultipartConfigElement(TMP.getPath(), MAX_UPLOAD_BYTES, 2 * MAX_UPLOAD_BYTES,
                                (int) (2 * MAX_UPLOAD_BYTES)), TMP, MAX_PARTS);
                parts = parser.getParts();
            } catch (IOException | IllegalStateException | IllegalArgumentException e) {
                return Outcome.PARSER_REFUSED; // IllegalArgumentException: the constructor's "not multipart/form-data"
            } catch (Throwable t) {
                throw new AssertionError("the multipart parser failed with " + t, t);
            }
            UploadsAccess.Result result;
            try {
                result = UploadsAccess.read(context(contentType, parts), MAX_UPLOAD_BYTES, ImageContract.MAX_PIXELS);
            } catch (Throwable t) {
                throw new AssertionError("the upload check failed with " + t, t);
            }
            if (!result.accepted()) {
                if (result.status() < 400 || result.status() > 499 || result.message() == null
                        || result.message().contains("\n")) {
                    throw new AssertionError("the upload check refused with " + result.status() + " "
                            + result.code() + ": " + result.message());
                }
                return Outcome.UPLOAD_REFUSED;
            }
            return switch (ImageContract.checkBytes(result.bytes())) {
                case IMAGE -> Outcome.IMAGE;
                case REFUSED -> Outcome.IMAGE_REFUSED;
                case TOO_LARGE -> throw new AssertionError("the upload check let through an image over "
                        + ImageContract.MAX_PIXELS + " pixels");
            };
        } finally {
            if (parser != null) {
                parser.deleteParts();
            }
        }
    }

    /**
     * A request context that answers what the upload check asks, as Javalin answers it from the parsed
     * parts (file parts only, by field name); anything else it is asked fails the run, naming the method.
     */
    private static Context context(String contentType, Collection<Part> parts) {
        Map<String, List<UploadedFile>> files = new LinkedHashMap<>();
        for (Part part : parts) {
            if (part.getSubmittedFileName() != null) {
                files.computeIfAbsent(part.getName(), name -> new ArrayList<>()).add(new UploadedFile(part));
            }
        }
        Map<String, Object> attributes = new HashMap<>();
        return (Context) Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[] {Context.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "isMultipartFormData" -> contentType.toLowerCase(Locale.ROOT).contains("multipart/form-data");
                    case "isMultipart" -> contentType.toLowerCase(Locale.ROOT).startsWith("multipart/");
                    case "contentType" -> contentType;
                    case "uploadedFile" -> files.getOrDefault((String) args[0], List.of()).stream().findFirst()
                            .orElse(null);
                    case "uploadedFiles" -> args == null || args.length == 0
                            ? files.values().stream().flatMap(List::stream).toList()
                            : files.getOrDefault((String) args[0], List.of());
                    case "uploadedFileMap" -> files;
                    case "attribute" -> args.length == 2 ? attributes.put((String) args[0], args[1])
                            : attributes.get((String) args[0]);
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "fuzz context";
                    default -> throw new UnsupportedOperationException("the fuzz test's context does not answer "
                            + method.getName() + "; add it to UploadContract.context");
                });
    }

    private static int indexOf(byte[] bytes, byte value, int limit) {
        for (int i = 0; i < Math.min(bytes.length, limit); i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
