package dev.kensa.http;

import dev.kensa.KensaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiTokenTest {
    @TempDir
    Path tmp;

    private Path tokenFile(String content, String mode) throws Exception {
        Path f = tmp.resolve("token-" + mode);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void matchesOnlyTheExactTokenWithoutItsTrailingNewline() throws Exception {
        ApiToken t = new ApiToken();
        assertFalse(t.configured());
        assertFalse(t.matches("anything"), "no token configured: nothing matches");
        t.load(tokenFile("correct-horse-battery-staple\n", "rw-------"));
        assertTrue(t.configured());
        assertTrue(t.matches("correct-horse-battery-staple"));
        assertFalse(t.matches("correct-horse-battery-stapl"));
        assertFalse(t.matches("correct-horse-battery-staple2"));
        assertFalse(t.matches(""));
        assertFalse(t.matches(null));
    }

    @Test
    void refusesATokenFileOthersCanReadAndAnEmptyOne() throws Exception {
        KensaException open = assertThrows(KensaException.class,
                () -> new ApiToken().load(tokenFile("secret-secret-secret", "rw-r--r--")));
        assertTrue(open.getMessage().contains("rw-r--r--"), open.getMessage());
        KensaException empty = assertThrows(KensaException.class, () -> new ApiToken().load(tokenFile(" \n", "rw-------")));
        assertTrue(empty.getMessage().contains("empty"));
        assertThrows(KensaException.class, () -> new ApiToken().load(tmp.resolve("missing")));
        new ApiToken().load(tokenFile("group-readable-is-fine", "rw-r-----"));
    }
}
