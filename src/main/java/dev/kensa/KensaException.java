package dev.kensa;

/**
 * A failure whose message is meant for the person at the terminal or the caller of the API: one line that names
 * the problem (the file, the field, the expected and the actual value). The CLI prints the message alone, never
 * the stack trace.
 */
public class KensaException extends RuntimeException {
    public KensaException(String message) {
        super(message);
    }

    public KensaException(String message, Throwable cause) {
        super(message, cause);
    }
}
