package dev.kensa.source;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot folder's own rules (settling, partial names, moves after the handler, retry when the handler fails),
 * driven scan by scan with explicit times. The daemon path with the real model is in ServeIT.
 */
class HotFolderTest {

    @Test
    void fileIsReadOnlyAfterItSettlesThenMovedByVerdict(@TempDir Path dir) throws Exception {
        List<String> seen = new ArrayList<>();
        HotFolder hot = new HotFolder(dir, (f, bytes) -> {
            seen.add(f.getFileName() + ":" + bytes.length);
            return f.getFileName().toString().startsWith("bad") ? "NG" : "OK";
        }, 10, 500);
        Files.write(dir.resolve("a.png"), new byte[10]);
        Files.write(dir.resolve("bad.png"), new byte[20]);
        hot.pollOnce(1000);            // first sighting
        hot.pollOnce(1200);            // unchanged but not settled yet
        assertTrue(seen.isEmpty());
        Files.write(dir.resolve("a.png"), new byte[15]); // still being written
        hot.pollOnce(1600);
        assertEquals(List.of("bad.png:20"), seen);
        hot.pollOnce(2200);
        assertEquals(List.of("bad.png:20", "a.png:15"), seen);
        assertTrue(Files.exists(dir.resolve("done/a.png")));
        assertTrue(Files.exists(dir.resolve("ng/bad.png")));
        assertFalse(Files.exists(dir.resolve("a.png")));
        hot.pollOnce(5000);
        assertEquals(2, seen.size(), "each file inspected once");
    }

    @Test
    void partialAndHiddenNamesAreNeverRead(@TempDir Path dir) throws Exception {
        List<Path> seen = new ArrayList<>();
        HotFolder hot = new HotFolder(dir, (f, b) -> {
            seen.add(f);
            return "OK";
        }, 10, 0);
        Files.write(dir.resolve("img.png.part"), new byte[5]);
        Files.write(dir.resolve(".img.png"), new byte[5]);
        Files.write(dir.resolve("upload.tmp"), new byte[5]);
        hot.pollOnce(0);
        hot.pollOnce(10);
        assertTrue(seen.isEmpty());
        Files.move(dir.resolve("img.png.part"), dir.resolve("img.png")); // writer renames when complete
        hot.pollOnce(20);
        hot.pollOnce(30);
        assertEquals(1, seen.size());
    }

    @Test
    void fileStaysWhenTheResultCouldNotBeRecorded(@TempDir Path dir) throws Exception {
        int[] calls = {0};
        HotFolder hot = new HotFolder(dir, (f, b) -> {
            if (calls[0]++ == 0) {
                throw new IllegalStateException("no model is loaded");
            }
            return "ERROR";
        }, 10, 0);
        Files.write(dir.resolve("x.png"), new byte[3]);
        hot.pollOnce(0);
        hot.pollOnce(1);
        assertTrue(Files.exists(dir.resolve("x.png")), "not moved: nothing was journalled");
        hot.pollOnce(2);
        hot.pollOnce(3);
        assertTrue(Files.exists(dir.resolve("error/x.png")));
        assertEquals(2, calls[0]);
    }

    @Test
    void sameNameTwiceKeepsBoth(@TempDir Path dir) throws Exception {
        HotFolder hot = new HotFolder(dir, (f, b) -> "OK", 10, 0);
        for (int round = 0; round < 2; round++) {
            Files.write(dir.resolve("cam.png"), new byte[round + 1]);
            hot.pollOnce(round * 10L);
            hot.pollOnce(round * 10L + 1);
        }
        assertTrue(Files.exists(dir.resolve("done/cam.png")));
        assertTrue(Files.exists(dir.resolve("done/cam.png.1")));
    }
}
