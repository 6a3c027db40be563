package dev.kensa.method;

import dev.kensa.bundle.BundleException;
import dev.kensa.bundle.Manifest;

import java.nio.file.Path;

/**
 * What a method reads its model from: a bundle directory whose listed files all matched the manifest's checksums.
 *
 * @param where how refusals name the bundle, e.g. "bundle models/bottle"
 */
public record BundleFiles(Path dir, Manifest manifest, String where) {

    /** A file of the bundle that the manifest checksums; refused when it is not listed. */
    public Path listed(String file, String what) {
        if (file == null || !manifest.sha256().containsKey(file)) {
            throw refuse(file == null ? "manifest " + what + " is missing" : "\"" + file + "\" (" + what + ") has no sha256 in the manifest");
        }
        return dir.resolve(file);
    }

    public BundleException refuse(String problem) {
        return new BundleException(where + ": " + problem);
    }

    public void require(boolean ok, String problem) {
        if (!ok) {
            throw refuse(problem);
        }
    }
}
