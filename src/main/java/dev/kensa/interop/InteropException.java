package dev.kensa.interop;

import dev.kensa.KensaException;

/**
 * A file from outside Kensa (a NumPy {@code .npy} array, a notebook's fixed-pipeline JSON) is refused or cannot be
 * written. The message is one line that starts with the file and says what is wrong, e.g.
 * {@code notebook/mean.npy: truncated: shape (3136, 100) float32 needs 1254400 bytes of data, the file holds 1000}.
 */
public class InteropException extends KensaException {
    public InteropException(String message) {
        super(message);
    }

    public InteropException(String message, Throwable cause) {
        super(message, cause);
    }
}
