package dev.kensa;

/** The producer version written into bundles and status messages. */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {
    }
}
