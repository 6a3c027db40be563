package dev.kensa.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** The sha256 checksums a bundle's manifest pins every other file with, and their verification. */
public final class Checksums {
    private Checksums() {
    }

    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    public static String sha256Hex(Path file, String where) {
        MessageDigest md = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        } catch (IOException e) {
            throw new BundleException(where + ": cannot read " + file.getFileName() + " (" + e.getMessage() + ")", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Every file the manifest lists must be there and unchanged; nothing of a bundle is interpreted before this. */
    static void verifyListed(Path dir, Manifest manifest, String where) {
        for (Map.Entry<String, String> e : new TreeMap<>(manifest.sha256()).entrySet()) {
            String name = e.getKey();
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new BundleException(where + ": " + name + " listed in manifest sha256 but missing");
            }
            String expected = e.getValue().toLowerCase();
            String actual = sha256Hex(file, where);
            if (!expected.equals(actual)) {
                throw new BundleException(where + ": " + name + " sha256 mismatch (manifest " + expected.substring(0, 12)
                        + ".., file " + actual.substring(0, 12) + "..)");
            }
        }
    }
}
