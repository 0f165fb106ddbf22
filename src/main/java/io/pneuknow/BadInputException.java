package io.pneuknow;

/**
 * The one exception type for bad user input: a missing file, an unknown class, a box outside its
 * image, a malformed option. Its message is a single line naming the file, row, value and remedy
 * (several problems are joined with newlines). The CLI maps it to exit code 1 without a stack
 * trace; anything else is a bug.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
