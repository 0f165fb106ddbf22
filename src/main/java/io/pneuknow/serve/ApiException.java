package io.pneuknow.serve;

/** A request the service refuses: the HTTP status, a short code and a one-line message for the client. */
public final class ApiException extends RuntimeException {
    final int status;
    final String code;

    /** A refusal with this HTTP status, short code and one-line message. */
    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
