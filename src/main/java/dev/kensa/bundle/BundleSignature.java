package dev.kensa.bundle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * Detached Ed25519 signatures of a bundle's {@code manifest.json} (../shared/DESIGN.md §5), stored as {@code manifest.sig}
 * (the raw 64-byte signature). The manifest pins every other file by sha256, so signing it signs the bundle.
 * Keys are PEM: PKCS#8 "PRIVATE KEY" and X.509 "PUBLIC KEY", as {@code openssl genpkey -algorithm ed25519} writes.
 */
public final class BundleSignature {
    public static final String FILE = "manifest.sig";
    private static final String ALGORITHM = "Ed25519";

    private BundleSignature() {
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no Ed25519", e);
        }
    }

    /** Writes the private key readable by its owner only. */
    public static void writePrivate(Path file, PrivateKey key) throws IOException {
        Files.writeString(file, pem("PRIVATE KEY", key.getEncoded()));
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // e.g. a Windows workstation; the file system's ACLs apply
        }
    }

    public static void writePublic(Path file, PublicKey key) throws IOException {
        Files.writeString(file, pem("PUBLIC KEY", key.getEncoded()));
    }

    public static PrivateKey readPrivate(Path file) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der(file, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new BundleException("private key " + file + " is not an Ed25519 PKCS#8 key: " + e.getMessage(), e);
        }
    }

    public static PublicKey readPublic(Path file) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der(file, "PUBLIC KEY")));
        } catch (GeneralSecurityException e) {
            throw new BundleException("public key " + file + " is not an Ed25519 X.509 key: " + e.getMessage(), e);
        }
    }

    /** Signs {@code dir/manifest.json} into {@code dir/manifest.sig}. */
    public static void sign(Path dir, PrivateKey key) {
        try {
            byte[] manifest = Files.readAllBytes(dir.resolve(BundleReader.MANIFEST));
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(manifest);
            Files.write(dir.resolve(FILE), s.sign());
        } catch (IOException | GeneralSecurityException e) {
            throw new BundleException("bundle " + dir + ": cannot sign: " + e.getMessage(), e);
        }
    }

    /**
     * Checks {@code manifest.sig} against the manifest bytes.
     *
     * @throws BundleException when the signature is missing or does not match for this key
     */
    static void verify(Path dir, byte[] manifestBytes, PublicKey key, String where) {
        Path sig = dir.resolve(FILE);
        if (!Files.isRegularFile(sig)) {
            throw new BundleException(where + ": unsigned bundle refused (no " + FILE + ") because a public key is configured");
        }
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(manifestBytes);
            if (!s.verify(Files.readAllBytes(sig))) {
                throw new BundleException(where + ": bad signature: " + FILE + " does not match manifest.json for the configured public key");
            }
        } catch (java.security.SignatureException e) {
            throw new BundleException(where + ": bad signature: " + FILE + " is malformed (" + e.getMessage() + ")", e);
        } catch (IOException | GeneralSecurityException e) {
            throw new BundleException(where + ": cannot check " + FILE + ": " + e.getMessage(), e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static byte[] der(Path file, String type) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new BundleException("cannot read key " + file + ": " + e.getMessage(), e);
        }
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b < 0 || e < b) {
            throw new BundleException("key " + file + " is not a PEM " + type);
        }
        return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
    }
}
