package io.pneuknow.serve;

import io.pneuknow.Json;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's error handler for the refusals the HTTP layer makes before a request reaches the routes (400 for a bad
 * request line or header, 414 for a URI too long, 431 for headers too large, and errors of the servlet layer):
 * the same JSON error as the routes' ({@code {status, code, message, requestId}}, with {@code X-Request-Id} and
 * the {@link SecurityHeaders}) instead of Jetty's HTML page, and a line in the access and audit logs.
 */
final class HttpLayerErrors extends ErrorHandler {
    private final RequestLog log;
    private final ClientAddress clients;

    /**
     * @param log where each refusal is recorded
     * @param clients who a request came from (a request Jetty could not parse: always its peer)
     */
    HttpLayerErrors(RequestLog log, ClientAddress clients) {
        this.log = log;
        this.clients = clients;
    }

    /** A request Jetty could not parse: its answer's body, and its headers set on {@code fields}. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        String id = RequestAttributes.newId();
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        fields.put("X-Request-Id", id);
        fields.put(HttpHeader.CACHE_CONTROL, "no-store");
        SecurityHeaders.ALWAYS.forEach(fields::put);
        String code = code(status);
        log.refused(new ClientAddress.Found(clientAddress(), false), "-", "-", status, code, id);
        return ByteBuffer.wrap(body(status, code, id));
    }

    /** An error the servlet layer answers itself: the JSON error in place of the HTML page. */
    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
                                              HttpServletResponse response, int status, String message)
            throws IOException {
        String id = RequestAttributes.newId();
        response.setContentType("application/json");
        response.setHeader("X-Request-Id", id);
        response.setHeader("Cache-Control", "no-store");
        SecurityHeaders.ALWAYS.forEach(response::setHeader);
        String code = code(status);
        log.refused(clients.resolve(request.getRemoteAddr(),
                Collections.list(request.getHeaders(ClientAddress.FORWARDED_FOR))), request.getMethod(), baseRequest.getHttpURI() == null ? "-"
                : baseRequest.getHttpURI().getPath(), status, code, id);
        byte[] body = body(status, code, id);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        baseRequest.setHandled(true);
    }

    /** The error's code: what went wrong, in a word or three. */
    static String code(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 413 -> "too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            default -> "http_" + status;
        };
    }

    /** The one-line message telling the client what to change. */
    static String message(int status) {
        return switch (status) {
            case 400 -> "the request is not valid HTTP (request line, headers or URI); send a well-formed request";
            case 413 -> "the request is too large; send a smaller image";
            case 414 -> "the URI is too long; send a shorter one";
            case 431 -> "the request's headers are too large; send fewer or shorter headers";
            default -> "the HTTP layer refused the request (status " + status + ")";
        };
    }

    private static byte[] body(int status, String code, String id) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("code", code);
        body.put("message", message(status));
        body.put("requestId", id);
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String clientAddress() {
        HttpConnection connection = HttpConnection.getCurrentConnection();
        SocketAddress remote = connection == null ? null : connection.getEndPoint().getRemoteSocketAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "-";
    }
}
