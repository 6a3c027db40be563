package dev.kensa.bundle;

import dev.kensa.KensaException;

/**
 * A model bundle, or one of its files, is refused: missing, corrupt, inconsistent or unsafe. The message is one
 * line that names the bundle, the file and what is wrong with it, e.g.
 * {@code bundle /models/screw: stats.bin sha256 mismatch (manifest a1b2c3d4e5f6.., file 9f8e7d6c5b4a..)}.
 */
public class BundleException extends KensaException {
    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
