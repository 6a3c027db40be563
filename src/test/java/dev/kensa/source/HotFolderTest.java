package dev.kensa.source;

import dev.kensa.verdict.Verdict;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot folder's own rules (settling, partial names, moves after the handler, retry when the handler fails, the
 * byte limit, part ids from file names), driven scan by scan with explicit times; and its worker, which is
 * restarted when it dies and reported down meanwhile. The daemon path with the real model is in ServeIT and
 * SourcesIT.
 */
class HotFolderTest {

    @Test
    void fileIsReadOnlyAfterItSettlesThenMovedByVerdict(@TempDir Path dir) throws Exception {
        List<String> seen = new ArrayList<>();
        HotFolder hot = new HotFolder(dir, (in, bytes) -> {
            String name = Path.of(in.source()).getFileName().toString();
            seen.add(name + ":" + bytes.length);
            return name.startsWith("bad") ? Verdict.NG : Verdict.OK;
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
        HotFolder hot = new HotFolder(dir, (in, b) -> {
            seen.add(Path.of(in.source()));
            return Verdict.OK;
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
        HotFolder hot = new HotFolder(dir, (in, b) -> {
            if (calls[0]++ == 0) {
                throw new IllegalStateException("no model is loaded");
            }
            return Verdict.ERROR;
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
        HotFolder hot = new HotFolder(dir, (in, b) -> Verdict.OK, 10, 0);
        for (int round = 0; round < 2; round++) {
            Files.write(dir.resolve("cam.png"), new byte[round + 1]);
            hot.pollOnce(round * 10L);
            hot.pollOnce(round * 10L + 1);
        }
        assertTrue(Files.exists(dir.resolve("done/cam.png")));
        assertTrue(Files.exists(dir.resolve("done/cam.png.1")));
    }

    @Test
    void aFileOverTheByteLimitIsNeverReadAndIsFiledAsAnErrorWithItsSize(@TempDir Path dir) throws Exception {
        List<String> errors = new ArrayList<>();
        HotFolder hot = new HotFolder(dir, (in, bytes) -> {
            assertNull(bytes, "not read");
            try {
                in.read();
            } catch (java.io.IOException e) {
                errors.add(e.getMessage());
            }
            return Verdict.ERROR;
        }, new HotFolder.Settings(10, 0, 1000, Pattern.compile(HotFolder.Settings.DEFAULT_PART_ID_PATTERN)), () -> {
        });
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("huge.png").toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: 3 GB that take no disk
        }
        hot.pollOnce(0);
        hot.pollOnce(1);
        assertEquals(List.of("file is 3221225472 bytes, over the limit of 1000 bytes (kensa.api.max-image-bytes)"), errors);
        assertTrue(Files.exists(dir.resolve("error/huge.png")));
    }

    @Test
    void thePartIdComesFromTheFileName(@TempDir Path dir) throws Exception {
        HotFolder plain = new HotFolder(dir, (in, b) -> Verdict.OK, 10, 0);
        assertEquals("SN-0042", plain.partId("SN-0042.png"));
        assertEquals("lot7.SN-0042", plain.partId("lot7.SN-0042.png"));
        assertEquals("noext", plain.partId("noext"));
        HotFolder custom = new HotFolder(dir, (in, b) -> Verdict.OK, new HotFolder.Settings(10, 0, 1000,
                Pattern.compile("cam1_([^_]+)_.*")), () -> {
        });
        assertEquals("SN-0042", custom.partId("cam1_SN-0042_20261123.png"));
        assertNull(custom.partId("other.png"), "a name the pattern does not match has no part id");

        List<String> ids = new ArrayList<>();
        HotFolder hot = new HotFolder(dir, (in, b) -> {
            ids.add(in.partId());
            return Verdict.OK;
        }, 10, 0);
        Files.write(dir.resolve("A-17.png"), new byte[3]);
        hot.pollOnce(0);
        hot.pollOnce(1);
        assertEquals(List.of("A-17"), ids);
    }

    @Test
    void aWorkerKilledByAnErrorIsRestartedAndReportedDownMeanwhile(@TempDir Path dir) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger changes = new AtomicInteger();
        HotFolder hot = new HotFolder(dir, (in, b) -> {
            if (calls.getAndIncrement() == 0) {
                throw new OutOfMemoryError("Java heap space (thrown by the test)");
            }
            return Verdict.OK;
        }, new HotFolder.Settings(10, 0, 1000, Pattern.compile(HotFolder.Settings.DEFAULT_PART_ID_PATTERN)),
                changes::incrementAndGet);
        try {
            hot.start();
            Files.write(dir.resolve("part.png"), new byte[3]);
            SourceWorker.Status down = await(hot, s -> !s.up());
            assertEquals("down", down.state());
            assertTrue(down.words().contains("DOWN since") && down.words().contains("OutOfMemoryError: Java heap space"),
                    down.words());
            SourceWorker.Status back = await(hot, s -> s.up() && Files.exists(dir.resolve("done/part.png")));
            assertEquals(1, back.restarts());
            assertEquals("OutOfMemoryError: Java heap space (thrown by the test)", back.lastFailure());
            assertTrue(back.words().contains("running, restarted 1x"), back.words());
            assertEquals(2, calls.get(), "the file is inspected again after the restart, never lost");
            assertTrue(changes.get() >= 2, "down and up announced");
        } finally {
            hot.close();
        }
    }

    @Test
    void aFolderThatVanishesIsReportedDownUntilItIsBack(@TempDir Path root) throws Exception {
        Path dir = Files.createDirectories(root.resolve("incoming"));
        HotFolder hot = new HotFolder(dir, (in, b) -> Verdict.OK, 10, 0);
        try {
            hot.start();
            await(hot, SourceWorker.Status::up);
            Files.move(dir, root.resolve("elsewhere")); // an unplugged disk, a lost mount
            SourceWorker.Status down = await(hot, s -> !s.up());
            assertTrue(down.words().contains("NoSuchFileException"), down.words());
            assertFalse(Files.exists(dir), "a vanished folder is not recreated by a restart");
            Files.move(root.resolve("elsewhere"), dir);
            Files.write(dir.resolve("after.png"), new byte[3]);
            await(hot, s -> s.up() && Files.exists(dir.resolve("done/after.png")));
        } finally {
            hot.close();
        }
    }

    static SourceWorker.Status await(HotFolder hot, java.util.function.Predicate<SourceWorker.Status> p) {
        return org.awaitility.Awaitility.await("hot folder status").atMost(java.time.Duration.ofSeconds(30))
                .pollInterval(java.time.Duration.ofMillis(10)).until(() -> hot.status().worker(), p::test);
    }
}
