package dev.kensa.array;

import dev.kensa.KensaException;

/**
 * An array file (a bundle's binary arrays, a notebook's {@code .npy}) cannot be read or written: missing, truncated,
 * of another type or shape than its header or its reader expects, or holding values that are not finite. The message
 * is one line that starts with the file and says what is wrong, e.g.
 * {@code notebook/mean.npy: truncated: shape (3136, 100) float32 needs 1254400 bytes of data, the file holds 1000}.
 */
public class ArrayException extends KensaException {
    public ArrayException(String message) {
        super(message);
    }

    public ArrayException(String message, Throwable cause) {
        super(message, cause);
    }
}
