package dev.kensa.http;

import dev.kensa.KensaConfig;
import dev.kensa.KensaException;
import dev.kensa.daemon.DaemonAssembly;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * The bearer token of the API's mutating endpoints, read once from {@code kensa.api.token-file} when the daemon
 * starts. Only a digest is kept; presented tokens are compared digest to digest with {@link MessageDigest#isEqual},
 * which takes the same time wherever the first difference is and does not reveal the token's length.
 */
@ApplicationScoped
public class ApiToken {
    private volatile byte[] digest;
    private volatile Path file;

    @Inject
    KensaConfig config;

    /** {@code kensa serve} is starting: a bad token file refuses the start before anything else comes up. */
    void onStarting(@Observes DaemonAssembly.Starting starting) {
        config.api().tokenFile().ifPresent(this::load);
    }

    /**
     * Reads and checks the token file: refuses (so the daemon does not start) a file other users may read, and an
     * empty token. Surrounding whitespace (a trailing newline) is not part of the token.
     */
    public void load(Path tokenFile) {
        if (!Files.isRegularFile(tokenFile)) {
            throw new KensaException("kensa.api.token-file " + tokenFile + ": no such file");
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(tokenFile);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new KensaException("kensa.api.token-file " + tokenFile + " is readable or writable by every user "
                        + "(mode " + java.nio.file.attribute.PosixFilePermissions.toString(perms)
                        + "); refusing to start: chmod 600 it (or 640 with a kensa group)");
            }
            String token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            if (token.isEmpty()) {
                throw new KensaException("kensa.api.token-file " + tokenFile + " is empty; refusing to start without a token");
            }
            if (token.length() < 16) {
                org.jboss.logging.Logger.getLogger(ApiToken.class).warnf(
                        "the API token in %s is only %d characters; use 32 or more random ones", tokenFile, token.length());
            }
            digest = sha256(token);
            file = tokenFile;
        } catch (IOException e) {
            throw new KensaException("kensa.api.token-file " + tokenFile + ": " + e.getMessage(), e);
        } catch (UnsupportedOperationException e) {
            throw new KensaException("kensa.api.token-file " + tokenFile + ": cannot check its permissions on this file system", e);
        }
    }

    public boolean configured() {
        return digest != null;
    }

    public Path file() {
        return file;
    }

    /** Whether {@code presented} is the token, in time independent of where they differ. */
    public boolean matches(String presented) {
        byte[] d = digest;
        return d != null && presented != null && MessageDigest.isEqual(d, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
